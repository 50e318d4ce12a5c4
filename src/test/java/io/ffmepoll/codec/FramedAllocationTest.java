package io.ffmepoll.codec;

import io.ffmepoll.reactor.Connection;
import io.ffmepoll.reactor.EchoAllocationTest;
import io.ffmepoll.reactor.Net;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Arrays;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A frame that arrives whole in one read costs the loop thread no allocation: no copy, no
 * slice, no per-frame object, when the handler takes the frame as it came (line end or header
 * kept). Measured as {@code EchoAllocationTest} measures the plain echo.
 */
class FramedAllocationTest {

    @Test
    void lineEchoAllocatesNothingPerWholeLine() {
        byte[] line = Net.random(63, 3);
        for (int i = 0; i < line.length; i++) if (line[i] == '\n') line[i] = 'x';
        byte[] message = Arrays.copyOf(line, 64);
        message[63] = '\n';
        assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
            double best = loopBytesPerFrame(LineEcho::handler, message);
            System.out.println("line echo: " + best + " bytes allocated by the loop per line");
            assertTrue(best < 1.0, best + " bytes allocated by the loop per line");
        });
    }

    @Test
    void lengthPrefixedEchoAllocatesNothingPerWholeFrame() {
        byte[] message = LengthPrefixed.encode(Net.random(60, 4));
        assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
            double best = loopBytesPerFrame(() -> new Framed(LengthPrefixed.FRAMES, Connection::write), message);
            System.out.println("length-prefixed echo: " + best + " bytes allocated by the loop per frame");
            assertTrue(best < 1.0, best + " bytes allocated by the loop per frame");
        });
    }

    private static double loopBytesPerFrame(Supplier<Framed> handlers, byte[] message) throws Exception {
        return EchoAllocationTest.loopBytesPerRoundTrip(handlers, message);
    }
}
