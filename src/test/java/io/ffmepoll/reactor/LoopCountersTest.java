package io.ffmepoll.reactor;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LoopCountersTest {

    /**
     * A loop that has only waited since it started is idle: its start-up is not work, and the
     * wait it is in counts as waiting even before it returns.
     */
    @Test
    void idleLoopReportsNearZeroBusyIncludingTheWaitInProgress() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            try (Reactor r = Net.small().loops(1).build()) {
                EventLoop loop = r.loops().get(0);
                loop.submit(() -> null).get(5, TimeUnit.SECONDS);   // one wake-up, then idle
                Thread.sleep(400);
                LoopCounters c = loop.counters();
                assertTrue(c.waitNanos() >= TimeUnit.MILLISECONDS.toNanos(380),
                        "the wait in progress is missing from waitNanos: " + c);
                assertTrue(c.busyFraction() < 0.05, "an idle loop reported busy: " + c);
                // The in-progress part grows with the time of the snapshot, never backwards.
                LoopCounters later = loop.counters();
                assertTrue(later.waitNanos() >= c.waitNanos() && later.workNanos() >= c.workNanos(), later.toString());
            }
        });
    }
}
