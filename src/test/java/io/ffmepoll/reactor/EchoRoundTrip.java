package io.ffmepoll.reactor;

import java.net.Socket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** One small echo exchange: proves a server (and its loop) still works. */
final class EchoRoundTrip {
    private EchoRoundTrip() {}

    static void check(int port) throws Exception {
        try (Socket s = Net.connect(port)) {
            byte[] ping = "ping".getBytes();
            s.getOutputStream().write(ping);
            assertArrayEquals(ping, Net.readFully(s.getInputStream(), ping.length));
        }
    }
}
