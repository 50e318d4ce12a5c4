package io.ffmepoll.epoll;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EventFdTimerFdTest {

    @Test
    void eventfdSumsSignalsAndResetsOnRead() throws Exception {
        try (EventFd efd = EventFd.open()) {
            assertEquals(0, efd.read(), "empty counter reads as 0 (EAGAIN), not an exception");
            efd.signal(2);
            efd.signal(3);
            assertEquals(5, efd.read());
            assertEquals(0, efd.read());
        }
    }

    @Test
    void semaphoreEventfdHandsOutOneAtATime() throws Exception {
        try (EventFd sem = EventFd.open(true)) {
            sem.signal(2);
            assertEquals(1, sem.read());
            assertEquals(1, sem.read());
            assertEquals(0, sem.read());
        }
    }

    @Test
    void subMillisecondTimerFiresThroughEpoll() throws Exception {
        try (Epoll epoll = Epoll.open(); TimerFd timer = TimerFd.open(); EventArray events = EventArray.allocate(1)) {
            epoll.add(timer, Interest.IN.with(Interest.ET), 5);
            long start = System.nanoTime();
            timer.schedule(Duration.ofNanos(300_000), Duration.ZERO);
            assertEquals(1, epoll.wait(events, 1_000));
            assertTrue(System.nanoTime() - start >= 300_000, "not early");
            assertEquals(1, timer.read());
            assertEquals(0, timer.read(), "one-shot: no further expirations");
        }
    }

    @Test
    void deadlineInThePastFiresAtOnceAndCancelDisarms() throws Exception {
        try (Epoll epoll = Epoll.open(); TimerFd timer = TimerFd.open(); EventArray events = EventArray.allocate(1)) {
            epoll.add(timer, Interest.IN, 6);
            timer.scheduleAt(System.nanoTime() - 1_000_000);
            assertEquals(1, epoll.wait(events, 1_000));
            assertEquals(1, timer.read());
            timer.scheduleAt(System.nanoTime() + 50_000_000);
            timer.cancel();
            assertEquals(0, epoll.wait(events, 100), "cancelled timer never fires");
        }
    }

    @Test
    void periodicTimerCountsExpirations() throws Exception {
        try (TimerFd timer = TimerFd.open()) {
            timer.schedule(Duration.ofMillis(1), Duration.ofMillis(1));
            Thread.sleep(20);
            assertTrue(timer.read() >= 5, "several 1 ms periods passed in 20 ms");
            timer.cancel();
        }
    }

    /** A Duration past Long.MAX_VALUE nanoseconds is clamped (a timer that never fires), not an ArithmeticException. */
    @Test
    void hugeTimerDurationsClampInsteadOfOverflowing() throws Exception {
        try (TimerFd timer = TimerFd.open()) {
            timer.schedule(java.time.temporal.ChronoUnit.FOREVER.getDuration(), Duration.ZERO);
            timer.schedule(Duration.ofSeconds(1), java.time.temporal.ChronoUnit.FOREVER.getDuration());
            timer.schedule(Duration.ofDays(3_652_500), Duration.ofDays(3_652_500));
            assertEquals(0, timer.read(), "not fired");
        }
    }

    @Test
    void timerRejectsNonPositiveDelays() throws Exception {
        try (TimerFd timer = TimerFd.open()) {
            assertThrows(IllegalArgumentException.class, () -> timer.schedule(Duration.ZERO, Duration.ZERO));
            assertThrows(IllegalArgumentException.class, () -> timer.schedule(Duration.ofMillis(1), Duration.ofMillis(-1)));
        }
    }
}
