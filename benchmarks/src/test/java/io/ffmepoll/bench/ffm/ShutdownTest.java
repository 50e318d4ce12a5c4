package io.ffmepoll.bench.ffm;

import org.junit.jupiter.api.Test;

import java.net.Socket;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** SIGTERM with clients still connected: a graceful exit, in bounded time, with counters. */
class ShutdownTest {

    /** Open idle connections must neither block the exit past 5 s nor be left unanswered. */
    @Test
    void sigtermWithOpenConnectionsExitsWithin5sAndPrintsCounters() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            try (ServerProcess server = ServerProcess.start("http", 2);
                 Socket idle = Wire.connect(server.port());
                 Socket used = Wire.connect(server.port())) {
                used.getOutputStream().write(io.ffmepoll.bench.common.HttpHello.REQUEST);
                Wire.expect(used.getInputStream(), io.ffmepoll.bench.common.HttpHello.RESPONSE, "before SIGTERM");
                server.stopGracefully(2);
                Wire.expectEof(idle, "idle connection after shutdown");
                Wire.expectEof(used, "used connection after shutdown");
            }
        });
    }

    /** Each protocol's server stops on SIGTERM the same way, even when it served nothing. */
    @Test
    void sigtermRightAfterStartExitsGracefullyForEveryProtocol() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (String proto : new String[] {"echo", "http", "udp-echo"}) {
                try (ServerProcess server = ServerProcess.start(proto, 1)) {
                    server.stopGracefully(1);
                }
            }
        });
    }
}
