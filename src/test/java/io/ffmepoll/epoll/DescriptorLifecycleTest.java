package io.ffmepoll.epoll;

import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Phaser;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every fd is opened close-on-exec, closed exactly once, and never used after close. */
class DescriptorLifecycleTest {

    @Test
    void twoThousandCreateCloseCyclesLeaveNoFdBehind() throws Exception {
        Set<Integer> before = Fds.open();
        for (int i = 0; i < 2_000; i++) {
            try (Epoll epoll = Epoll.open(); EventFd efd = EventFd.open(); TimerFd timer = TimerFd.open();
                 Pipe pipe = Pipe.open(); EventArray events = EventArray.allocate(4)) {
                epoll.add(efd, Interest.IN, i);
                epoll.add(timer, Interest.IN, i);
                epoll.add(pipe.source(), Interest.IN, i);
                epoll.wait(events, 0);
            }
        }
        assertEquals(before, Fds.open());
    }

    @Test
    void everyDescriptorIsCloseOnExecAndNonBlocking() throws Exception {
        try (Epoll epoll = Epoll.open(); EventFd efd = EventFd.open(); EventFd sem = EventFd.open(true);
             TimerFd timer = TimerFd.open(); Pipe pipe = Pipe.open()) {
            for (Descriptor d : new Descriptor[] {epoll, efd, sem, timer, pipe.source(), pipe.sink()}) {
                assertTrue(Fds.isCloexec(d.fd()), d + " lacks O_CLOEXEC");
            }
            for (Descriptor d : new Descriptor[] {efd, sem, timer, pipe.source(), pipe.sink()}) {
                assertTrue(Fds.isNonblocking(d.fd()), d + " lacks O_NONBLOCK");
            }
        }
    }

    @Test
    void closeIsIdempotentAndNeverClosesAReusedNumber() throws Exception {
        EventFd first = EventFd.open();
        int number = first.fd();
        first.close();
        try (EventFd second = EventFd.open()) {
            assertEquals(number, second.fd(), "the kernel hands out the lowest free number");
            first.close();                       // a second close must not touch `second`
            assertTrue(second.signal(1));
            assertEquals(1, second.read());
            assertTrue(Fds.open().contains(number));
        }
    }

    /**
     * Four threads close one descriptor while two others open eventfds, so that the number the
     * first close(2) frees is handed out again at once. A second close(2) would close one of
     * those new eventfds: each must still be open and still the same file (it reads back the
     * count written to it).
     */
    @Test
    void concurrentClosesCloseOnce() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            for (int round = 0; round < 300; round++) {
                EventFd efd = EventFd.open();
                CountDownLatch go = new CountDownLatch(1);
                List<Future<List<EventFd>>> openers = new ArrayList<>();
                for (int t = 0; t < 2; t++) {
                    openers.add(pool.submit(() -> {
                        List<EventFd> opened = new ArrayList<>();
                        go.await();
                        for (int k = 0; k < 8; k++) opened.add(EventFd.open());
                        return opened;
                    }));
                }
                List<Future<?>> closers = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    closers.add(pool.submit(() -> {
                        go.await();
                        efd.close();
                        return null;
                    }));
                }
                go.countDown();
                for (Future<?> f : closers) f.get(5, TimeUnit.SECONDS);
                assertFalse(efd.isOpen());
                List<EventFd> opened = new ArrayList<>();
                for (Future<List<EventFd>> f : openers) opened.addAll(f.get(5, TimeUnit.SECONDS));
                try {
                    for (int k = 0; k < opened.size(); k++) {
                        EventFd e = opened.get(k);
                        assertTrue(e.signal(1000 + k), e + " was closed under its owner");
                        assertEquals(1000 + k, e.read(), e + " is no longer the same file");
                    }
                } finally {
                    opened.forEach(EventFd::close);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void closeDuringAWaitIsDeferredUntilTheWaitReturns() throws Exception {
        Epoll epoll = Epoll.open();
        try (EventFd wake = EventFd.open(); EventArray events = EventArray.allocate(1)) {
            epoll.add(wake, Interest.IN, 7);
            int number = epoll.fd();
            CountDownLatch waiting = new CountDownLatch(1);
            Thread waiter = Thread.ofPlatform().start(() -> {
                waiting.countDown();
                try {
                    epoll.wait(events, 10_000);
                } catch (NativeIOException e) {
                    throw new AssertionError(e);
                }
            });
            waiting.await();
            Thread.sleep(50);                        // let it block in epoll_wait
            epoll.close();
            assertFalse(epoll.isOpen());
            assertTrue(Fds.open().contains(number), "the fd stays open while the wait uses it");
            wake.signal(1);
            waiter.join(5_000);
            assertFalse(waiter.isAlive());
            assertFalse(Fds.open().contains(number), "the last user closed it");
        }
    }

    /**
     * A registration racing with the target's close never crashes and never reaches a reused
     * fd number. Another thread keeps opening readable eventfds meanwhile, so a number freed
     * too early is taken at once: a call that reached it would register that eventfd, and the
     * final wait would report it.
     */
    @RepeatedTest(20)
    void ctlRacingWithCloseNeverCrashes() throws Exception {
        AtomicInteger outcomes = new AtomicInteger();
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            List<EventFd> competitors = new java.util.concurrent.CopyOnWriteArrayList<>();
            try (Epoll epoll = Epoll.open(); EventArray events = EventArray.allocate(64)) {
                Phaser phaser = new Phaser(3);
                for (int i = 0; i < 200; i++) {
                    EventFd efd = EventFd.open();
                    Thread closer = Thread.ofPlatform().start(() -> {
                        phaser.arriveAndAwaitAdvance();
                        efd.close();
                    });
                    Thread opener = Thread.ofPlatform().start(() -> {
                        phaser.arriveAndAwaitAdvance();
                        try {
                            for (int k = 0; k < 4; k++) {
                                EventFd e = EventFd.open();
                                e.signal(1);
                                competitors.add(e);
                            }
                        } catch (NativeIOException e) {
                            throw new AssertionError(e);
                        }
                    });
                    phaser.arriveAndAwaitAdvance();
                    try {
                        epoll.add(efd, Interest.IN, i);
                        epoll.modify(efd, Interest.OUT, i);
                        epoll.delete(efd);
                        outcomes.incrementAndGet();
                    } catch (IllegalStateException closed) {
                        outcomes.incrementAndGet();
                    } catch (NativeIOException e) {
                        // Only possible if the close landed between two of our calls: the kernel
                        // dropped the registration (ENOENT), never EBADF on a stale number.
                        assertEquals(Errors.ENOENT, e.errno(), e.getMessage());
                        outcomes.incrementAndGet();
                    }
                    closer.join();
                    opener.join();
                }
                assertEquals(0, epoll.wait(events, 0), "a registration reached another thread's eventfd");
            } finally {
                competitors.forEach(EventFd::close);
            }
        });
        assertEquals(200, outcomes.get());
    }
}
