package io.ffmepoll.epoll;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** An event array closes exactly once, whoever closes it and whenever. */
class EventArrayCloseTest {

    /** A shared arena cannot close while a downcall holds it; the close must not fail for that. */
    @Test
    void closeDuringAWaitIsDeferredUntilTheWaitReturns() throws Exception {
        try (Epoll epoll = Epoll.open(); EventFd wake = EventFd.open()) {
            EventArray events = EventArray.allocate(4);
            epoll.add(wake, Interest.IN, 1);
            CountDownLatch waiting = new CountDownLatch(1);
            AtomicInteger ready = new AtomicInteger(-1);
            AtomicReference<Throwable> waitFailure = new AtomicReference<>();
            Thread waiter = Thread.ofPlatform().start(() -> {
                waiting.countDown();
                try {
                    ready.set(epoll.wait(events, 10_000));
                } catch (Throwable e) {
                    waitFailure.set(e);
                }
            });
            waiting.await();
            Thread.sleep(100);                       // let it block in epoll_wait
            assertDoesNotThrow(events::close);
            assertThrows(IllegalStateException.class, () -> epoll.wait(events, 0), "closed for new waits at once");
            wake.signal(1);
            waiter.join(5_000);
            assertFalse(waiter.isAlive());
            assertNull(waitFailure.get());
            assertEquals(1, ready.get(), "the wait in progress completed normally");
            assertThrows(IllegalStateException.class, () -> events.token(0), "memory freed once the wait returned");
            events.close();                          // still idempotent
        }
    }

    @Test
    void concurrentClosesCloseOnce() throws Exception {
        for (int round = 0; round < 200; round++) {
            EventArray events = EventArray.allocate(8);
            CountDownLatch go = new CountDownLatch(1);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread[] closers = new Thread[4];
            for (int t = 0; t < closers.length; t++) {
                closers[t] = Thread.ofPlatform().start(() -> {
                    try {
                        go.await();
                        events.close();
                    } catch (Throwable e) {
                        failure.set(e);
                    }
                });
            }
            go.countDown();
            for (Thread t : closers) t.join();
            assertNull(failure.get());
            assertThrows(IllegalStateException.class, () -> events.token(0));
            assertThrows(IllegalStateException.class, () -> events.growIfFull(8));
        }
    }
}
