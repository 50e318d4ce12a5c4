package io.ffmepoll.socket;

import io.ffmepoll.epoll.Descriptor;
import io.ffmepoll.epoll.Pipe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Every segment that reaches the kernel inside an iovec (scattering and gathering I/O,
 * descriptor passing) is checked like a downcall argument: a closed arena throws
 * IllegalStateException, another thread's confined segment throws WrongThreadException, and
 * nothing is written into or read from freed memory.
 * <p>Before the fix these calls put raw addresses into the iovec unchecked: the first test read
 * 512 bytes into freed memory and glibc later aborted the JVM. Run alone against such code, the
 * surefire fork crashing is how the failure shows.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class SegmentLifetimeTest {

    private static MemorySegment freed(long size) {
        Arena arena = Arena.ofConfined();
        MemorySegment m = arena.allocate(size);
        arena.close();
        return m;
    }

    private static MemorySegment native512(Arena arena) {
        MemorySegment m = arena.allocate(512);
        m.fill((byte) 7);
        return m;
    }

    @Test
    void scatterReadIntoAClosedArenaThrowsInsteadOfWritingFreedMemory() throws Exception {
        UnixStream[] p = UnixStream.pair();
        try (UnixStream a = p[0]; UnixStream b = p[1]; Arena arena = Arena.ofConfined()) {
            assertEquals(512, a.write(native512(arena)));
            MemorySegment[] dsts = {arena.allocate(16), freed(512)};
            assertThrows(IllegalStateException.class, () -> b.read(dsts, 0, 2));
            assertEquals(512, b.read(arena.allocate(1024)), "nothing was consumed");
        }
    }

    @Test
    void gatherWriteFromAClosedArenaThrows() throws Exception {
        UnixStream[] p = UnixStream.pair();
        try (UnixStream a = p[0]; UnixStream b = p[1]; Arena arena = Arena.ofConfined()) {
            MemorySegment[] srcs = {native512(arena), freed(512)};
            assertThrows(IllegalStateException.class, () -> a.write(srcs, 0, 2));
            assertEquals(Descriptor.WOULD_BLOCK, b.read(arena.allocate(1024)), "nothing was sent");
        }
    }

    @Test
    void anotherThreadsConfinedSegmentThrowsWrongThreadInEveryVectoredPath() throws Exception {
        UnixStream[] p = UnixStream.pair();
        try (UnixStream a = p[0]; UnixStream b = p[1]; Arena arena = Arena.ofConfined(); Pipe pipe = Pipe.open()) {
            MemorySegment mine = native512(arena);
            assertEquals(512, a.write(mine));
            List<Class<?>> failures = CompletableFuture.supplyAsync(() -> {
                List<Class<?>> thrown = new ArrayList<>();
                Call[] calls = {
                    () -> b.read(new MemorySegment[] {mine}, 0, 1),
                    () -> a.write(new MemorySegment[] {mine}, 0, 1),
                    () -> a.sendDescriptors(mine, pipe.sink()),
                    () -> b.receiveDescriptors(mine, new ArrayList<>()),
                };
                for (Call c : calls) {
                    try {
                        c.run();
                        thrown.add(null);
                    } catch (Throwable t) {
                        thrown.add(t.getClass());
                    }
                }
                return thrown;
            }).get(10, TimeUnit.SECONDS);
            assertEquals(List.of(WrongThreadException.class, WrongThreadException.class,
                    WrongThreadException.class, WrongThreadException.class), failures);
            assertEquals(512, b.read(arena.allocate(1024)), "nothing was consumed or sent");
        }
    }

    @Test
    void descriptorPassingWithAClosedArenaThrows() throws Exception {
        UnixStream[] p = UnixStream.pair();
        try (UnixStream a = p[0]; UnixStream b = p[1]; Arena arena = Arena.ofConfined(); Pipe pipe = Pipe.open()) {
            assertThrows(IllegalStateException.class, () -> a.sendDescriptors(freed(64), pipe.sink()));
            assertEquals(1, a.sendDescriptors(arena.allocate(1), pipe.sink()));
            List<ReceivedDescriptor> fds = new ArrayList<>();
            assertThrows(IllegalStateException.class, () -> b.receiveDescriptors(freed(64), fds));
            assertEquals(0, fds.size());
            assertEquals(1, b.receiveDescriptors(arena.allocate(8), fds), "the message is still queued");
            assertEquals(1, fds.size());
            fds.get(0).close();
        }
    }

    /**
     * A shared arena can be closed by any thread while a call is in flight; its segments reach
     * the kernel by copy, so a close racing the call either fails (the memory is in use) or
     * makes the call throw, and never frees memory the kernel is using.
     */
    @Test
    void sharedArenaClosedDuringVectoredCallsNeverCrashes() throws Exception {
        UnixStream[] p = UnixStream.pair();
        AtomicInteger outcomes = new AtomicInteger();
        try (UnixStream a = p[0]; UnixStream b = p[1]; Arena sink = Arena.ofConfined()) {
            MemorySegment drain = sink.allocate(64 * 1024);
            for (int round = 0; round < 300; round++) {
                Arena shared = Arena.ofShared();
                MemorySegment[] parts = {shared.allocate(4096), shared.allocate(4096)};
                CompletableFuture<Void> closer = CompletableFuture.runAsync(() -> {
                    try {
                        shared.close();
                    } catch (IllegalStateException inUse) {
                        // acquired by a call: close it below instead
                    }
                });
                try {
                    if (a.write(parts, 0, 2) > 0) outcomes.incrementAndGet();
                    while (b.read(drain) > 0) { }
                } catch (IllegalStateException closed) {
                    outcomes.incrementAndGet();
                }
                // Since JDK 23 a close that finds this thread copying from the arena installs an
                // asynchronous exception here, and HotSpot sets the interrupt status with it, so
                // the next blocking call would throw InterruptedException. Not a library fault:
                // clear it, as a program that races close with use would have to.
                Thread.interrupted();
                closer.get(5, TimeUnit.SECONDS);
                if (shared.scope().isAlive()) shared.close();
            }
        }
        assertEquals(300, outcomes.get());
    }

    @Test
    void sharedAndAutomaticSegmentsStillTravel() throws Exception {
        UnixStream[] p = UnixStream.pair();
        try (UnixStream a = p[0]; UnixStream b = p[1]; Arena shared = Arena.ofShared()) {
            MemorySegment s = shared.allocate(3);
            s.copyFrom(MemorySegment.ofArray(new byte[] {1, 2, 3}));
            MemorySegment auto = Arena.ofAuto().allocate(2);
            auto.copyFrom(MemorySegment.ofArray(new byte[] {4, 5}));
            assertEquals(5, a.write(new MemorySegment[] {s, auto}, 0, 2));
            MemorySegment r1 = shared.allocate(2), r2 = Arena.ofAuto().allocate(3);
            assertEquals(5, b.read(new MemorySegment[] {r1, r2}, 0, 2));
            assertArrayEquals(new byte[] {1, 2}, r1.toArray(ValueLayout.JAVA_BYTE));
            assertArrayEquals(new byte[] {3, 4, 5}, r2.toArray(ValueLayout.JAVA_BYTE));
        }
    }

    interface Call {
        Object run() throws Exception;
    }
}
