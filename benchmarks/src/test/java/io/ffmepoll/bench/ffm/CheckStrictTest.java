package io.ffmepoll.bench.ffm;

import io.ffmepoll.bench.compare.Check;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.List;

/**
 * {@code bench check} only reports the HTTP error answers as warnings for the other servers;
 * the ffm server is held to all of it: no failure and no warning.
 */
class CheckStrictTest {

    @ParameterizedTest
    @ValueSource(strings = {"echo", "http"})
    void checkPassesWithoutFailuresOrWarnings(String proto) {
        assertTimeoutPreemptively(Duration.ofSeconds(40), () -> {
            try (ServerProcess server = ServerProcess.start(proto, 2)) {
                Check.Outcome o = Check.run(server.port(), proto);
                assertEquals(List.of(), o.failures(), "Check failures for ffm " + proto);
                assertEquals(List.of(), o.warnings(), "Check warnings for ffm " + proto);
                server.stopGracefully(2);
            }
        });
    }
}
