package io.ffmepoll.epoll;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** poll(2) on one descriptor, and eventfd's initial value and semaphore mode. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class PollTest {

    private static final MemorySegment ONE = MemorySegment.ofArray(new byte[] {1});

    @Test
    void pollReportsWhatIsReadyAndTimesOutWithNull() throws Exception {
        try (Pipe pipe = Pipe.open()) {
            long start = System.nanoTime();
            assertNull(pipe.source().poll(Interest.IN, Duration.ofMillis(30)));
            assertTrue(System.nanoTime() - start >= 30_000_000L, "returned before the timeout");
            assertNull(pipe.source().poll(Interest.IN, Duration.ZERO));
            assertEquals(Interest.OUT, pipe.sink().poll(Interest.of(Interest.IN, Interest.OUT), Duration.ZERO));
            assertEquals(1, pipe.sink().write(ONE));
            assertEquals(Interest.IN, pipe.source().poll(Interest.of(Interest.IN, Interest.OUT), Duration.ZERO));
            pipe.sink().close();
            Interest hup = pipe.source().poll(Interest.IN, Duration.ZERO);
            assertTrue(hup.contains(Interest.HUP) && hup.contains(Interest.IN), String.valueOf(hup));
        }
    }

    @Test
    void pollWithoutAskingForErrorsStillReportsThem() throws Exception {
        try (Pipe pipe = Pipe.open()) {
            pipe.source().close();
            // A pipe without a reader: POLLERR on the write end, asked for or not.
            assertEquals(Interest.of(Interest.OUT, Interest.ERR), pipe.sink().poll(Interest.OUT, Duration.ZERO));
        }
    }

    @Test
    void subMillisecondPollTimeoutsAreNotRoundedToZeroOrUpToAMillisecondTick() throws Exception {
        try (EventFd e = EventFd.open()) {
            long start = System.nanoTime();
            assertNull(e.pollNanos(Interest.IN, 300_000));
            long took = System.nanoTime() - start;
            assertTrue(took >= 300_000, "returned after " + took + " ns");
        }
    }

    /** ChronoUnit.FOREVER, Long.MAX_VALUE nanoseconds and -1 wait until woken, without overflow. */
    @Test
    void foreverPollsWaitUntilWoken() throws Exception {
        try (EventFd wake = EventFd.open()) {
            List<Callable<Interest>> polls = List.of(
                    () -> wake.poll(Interest.IN, ChronoUnit.FOREVER.getDuration()),
                    () -> wake.pollNanos(Interest.IN, Epoll.FOREVER),
                    () -> wake.pollNanos(Interest.IN, -1),
                    () -> wake.pollNanos(Interest.IN, Long.MAX_VALUE - 1),
                    () -> wake.poll(Interest.IN, Duration.ofDays(3_652_500)));
            for (Callable<Interest> poll : polls) {
                CompletableFuture<Interest> result = CompletableFuture.supplyAsync(() -> {
                    try {
                        return poll.call();
                    } catch (Exception e) {
                        throw new CompletionException(e);
                    }
                }, r -> Thread.ofPlatform().start(r));
                try {
                    Interest early = result.get(100, TimeUnit.MILLISECONDS);
                    fail("returned at once: " + early);
                } catch (TimeoutException stillWaiting) {
                    // as it should
                }
                wake.signal(1);
                assertEquals(Interest.IN, result.get(10, TimeUnit.SECONDS));
                assertEquals(1, wake.read());
            }
        }
    }

    @Test
    void pollRefusesModeFlagsAndNegativeDurationsAndClosedDescriptors() throws Exception {
        EventFd e = EventFd.open();
        assertThrows(IllegalArgumentException.class, () -> e.poll(Interest.IN.with(Interest.ET), Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> e.poll(Interest.IN.with(Interest.ONESHOT), Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> e.poll(Interest.IN, Duration.ofNanos(-1)));
        e.close();
        assertThrows(IllegalStateException.class, () -> e.poll(Interest.IN, Duration.ZERO));
    }

    @Test
    void eventFdStartsAtItsInitialValue() throws Exception {
        try (EventFd e = EventFd.open(41, false)) {
            assertEquals(Interest.IN, e.poll(Interest.IN, Duration.ZERO));
            assertTrue(e.signal(1));
            assertEquals(42, e.read());
            assertEquals(0, e.read());
        }
        try (EventFd e = EventFd.open(0xFFFF_FFFFL, false)) {
            assertEquals(0xFFFF_FFFFL, e.read());
        }
        assertThrows(IllegalArgumentException.class, () -> EventFd.open(-1, false));
        assertThrows(IllegalArgumentException.class, () -> EventFd.open(1L << 32, true));
    }

    @Test
    void semaphoreEventFdHandsOutItsInitialPermitsOneByOne() throws Exception {
        try (EventFd permits = EventFd.open(3, true)) {
            for (int i = 0; i < 3; i++) assertEquals(1, permits.read());
            assertEquals(0, permits.read());
            assertNull(permits.poll(Interest.IN, Duration.ZERO));
            permits.signal(2);
            assertEquals(1, permits.read());
            assertEquals(1, permits.read());
            assertEquals(0, permits.read());
        }
        try (EventFd plain = EventFd.open(3, false)) {
            assertEquals(3, plain.read());
            assertFalse(plain.poll(Interest.IN, Duration.ZERO) != null);
        }
    }
}
