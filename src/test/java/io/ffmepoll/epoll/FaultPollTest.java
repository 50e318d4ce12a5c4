package io.ffmepoll.epoll;

import io.ffmepoll.internal.sys.FaultPlan;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** poll follows the library's EINTR policy: a signal ends the wait like a timeout, never as an exception. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class FaultPollTest {

    @Test
    void aSignalDuringPollReturnsNullAsATimeoutDoes() throws Exception {
        Assumptions.assumeTrue(FaultPlan.installed(), "needs -Dffmepoll.faults=" + FaultPlan.class.getName());
        FaultPlan plan = FaultPlan.get();
        try (EventFd ready = EventFd.open(1, false)) {     // readable: a real poll returns IN at once
            plan.begin(1, FaultPlan.EINTR_WAIT, 1.0);
            String injected;
            try {
                assertNull(ready.pollNanos(Interest.IN, Epoll.FOREVER));
                assertNull(ready.poll(Interest.IN, Duration.ofSeconds(5)));
            } finally {
                injected = plan.end();
            }
            assertEquals("EINTR_WAIT=2", injected);
            assertEquals(Interest.IN, ready.poll(Interest.IN, Duration.ZERO));
        }
    }
}
