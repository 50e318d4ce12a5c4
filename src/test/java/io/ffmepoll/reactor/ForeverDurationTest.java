package io.ffmepoll.reactor;

import io.ffmepoll.shared.SharedServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every public method that takes a Duration accepts "forever" (ChronoUnit.FOREVER, too long for
 * Duration.toNanos()) as the longest possible wait, never with an ArithmeticException.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class ForeverDurationTest {

    private static final Duration FOREVER = ChronoUnit.FOREVER.getDuration();

    @Test
    void reactorShutdownAndAwaitTerminationAcceptForever() throws Exception {
        Reactor reactor = Reactor.builder().loops(1).linger(FOREVER).acceptBackoff(FOREVER).build();
        reactor.shutdown(FOREVER);
        assertTrue(reactor.awaitTermination(FOREVER));
        reactor.close();
    }

    @Test
    void reactorCloseWithAForeverGraceEndsWhenNothingIsOpen() throws Exception {
        Reactor.builder().loops(1).closeGrace(FOREVER).build().close();
    }

    @Test
    void sharedServerShutdownAndAwaitTerminationAcceptForever() throws Exception {
        SharedServer server = SharedServer.builder().workers(1).build();
        server.shutdown(FOREVER);
        assertTrue(server.awaitTermination(FOREVER));
        server.close();
        SharedServer.builder().workers(1).closeGrace(FOREVER).build().close();
    }
}
