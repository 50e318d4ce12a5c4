package io.ffmepoll.epoll;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.FileInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad input gets a clear error naming the errno, and the epoll instance stays usable. */
class EpollErrorsTest {

    @Test
    void unknownFdIsEbadfAsClosedDescriptorException() throws Exception {
        // An fd number far above anything open: the kernel says EBADF.
        Pipe.End bogus = Fds.adopt(1 << 20);
        try (Epoll epoll = Epoll.open()) {
            NativeIOException e = assertThrows(NativeIOException.class, () -> epoll.add(bogus, Interest.IN, 0));
            assertInstanceOf(ClosedDescriptorException.class, e);
            assertEquals(Errors.EBADF, e.errno());
            assertEquals("epoll_ctl(ADD): EBADF (Bad file descriptor)", e.getMessage());
        }
    }

    @Test
    void doubleAddIsEexist() throws Exception {
        try (Epoll epoll = Epoll.open(); EventFd efd = EventFd.open()) {
            epoll.add(efd, Interest.IN, 1);
            NativeIOException e = assertThrows(NativeIOException.class, () -> epoll.add(efd, Interest.IN, 1));
            assertEquals(Errors.EEXIST, e.errno());
            assertEquals("EEXIST", e.errnoName());
            assertTrue(e.getMessage().contains("File exists"), e.getMessage());
        }
    }

    @Test
    void modifyOrDeleteOfUnregisteredIsEnoent() throws Exception {
        try (Epoll epoll = Epoll.open(); EventFd efd = EventFd.open()) {
            assertEquals(Errors.ENOENT, assertThrows(NativeIOException.class,
                    () -> epoll.modify(efd, Interest.IN, 1)).errno());
            assertEquals(Errors.ENOENT, assertThrows(NativeIOException.class, () -> epoll.delete(efd)).errno());
            epoll.add(efd, Interest.IN, 1);
            epoll.delete(efd);
            assertEquals(Errors.ENOENT, assertThrows(NativeIOException.class, () -> epoll.delete(efd)).errno(),
                    "deleted means unregistered");
        }
    }

    @Test
    void regularFileIsEperm(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("plain.txt"), "x");
        try (Epoll epoll = Epoll.open(); FileInputStream in = new FileInputStream(file.toFile())) {
            // Borrow the stream's fd number; the stream, not this object, closes it.
            Pipe.End borrowed = Fds.adopt(Fds.fdOf(file));
            NativeIOException e = assertThrows(NativeIOException.class, () -> epoll.add(borrowed, Interest.IN, 0));
            assertEquals(Errors.EPERM, e.errno());
        }
    }

    @Test
    void epollAddedToItselfIsEinval() throws Exception {
        try (Epoll epoll = Epoll.open()) {
            assertEquals(Errors.EINVAL, assertThrows(NativeIOException.class,
                    () -> epoll.add(epoll, Interest.IN, 0)).errno());
        }
    }

    @Test
    void eventArrayCapacityMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> EventArray.allocate(0));
        assertThrows(IllegalArgumentException.class, () -> EventArray.allocate(-1));
        assertThrows(IllegalArgumentException.class, () -> EventArray.allocate(EventArray.MAX_CAPACITY + 1));
    }

    @Test
    void timeoutsBelowMinusOneAreRejected() throws Exception {
        try (Epoll epoll = Epoll.open(); EventArray events = EventArray.allocate(1)) {
            assertThrows(IllegalArgumentException.class, () -> epoll.wait(events, -2));
            assertThrows(IllegalArgumentException.class, () -> epoll.wait(events, Integer.MIN_VALUE));
            assertThrows(IllegalArgumentException.class, () -> epoll.wait(events, Duration.ofNanos(-1)));
            assertEquals(0, epoll.wait(events, 0), "the instance is still usable");
        }
    }

    @Test
    void useAfterCloseIsIllegalState() throws Exception {
        Epoll epoll = Epoll.open();
        EventFd efd = EventFd.open();
        EventArray events = EventArray.allocate(1);
        epoll.close();
        assertThrows(IllegalStateException.class, () -> epoll.add(efd, Interest.IN, 0));
        assertThrows(IllegalStateException.class, () -> epoll.wait(events, 0));
        assertThrows(IllegalStateException.class, epoll::fd);
        efd.close();
        assertThrows(IllegalStateException.class, () -> efd.signal(1));
        assertThrows(IllegalStateException.class, efd::read);
        try (Epoll other = Epoll.open()) {
            assertThrows(IllegalStateException.class, () -> other.add(efd, Interest.IN, 0),
                    "a closed target is rejected before its (possibly reused) number reaches the kernel");
            events.close();
            assertThrows(IllegalStateException.class, () -> other.wait(events, 0));
            assertThrows(IllegalStateException.class, () -> events.token(0));
        }
    }

    @Test
    void interestIsNeverEmptyAndKnowsOnlyEpollFlags() {
        assertThrows(IllegalArgumentException.class, () -> Interest.ofBits(0));
        assertThrows(IllegalArgumentException.class, () -> Interest.ofBits(1 << 20));
        assertThrows(IllegalArgumentException.class, () -> Interest.IN.without(Interest.IN));
        Interest i = Interest.of(Interest.IN, Interest.OUT, Interest.ET);
        assertEquals("IN|OUT|ET", i.toString());
        assertEquals(Interest.of(Interest.IN, Interest.ET), i.without(Interest.OUT));
        assertTrue(i.contains(Interest.of(Interest.IN, Interest.ET)));
    }

    @Test
    void eventfdRejectsIncrementsTheKernelWould() throws Exception {
        try (EventFd efd = EventFd.open()) {
            assertThrows(IllegalArgumentException.class, () -> efd.signal(0));
            assertThrows(IllegalArgumentException.class, () -> efd.signal(-1L));
            assertTrue(efd.signal(-2L), "2^64-2 is the largest value the counter holds");
            assertEquals(false, efd.signal(1), "a full counter is EAGAIN, reported as false");
            assertEquals(-2L, efd.read());
        }
    }
}
