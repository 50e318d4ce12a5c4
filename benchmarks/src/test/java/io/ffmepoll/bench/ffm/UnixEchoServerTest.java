package io.ffmepoll.bench.ffm;

import org.junit.jupiter.api.Test;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code FfmServer --proto unix-echo}: concurrent clients over a path socket, and the path's cleanup. */
class UnixEchoServerTest {

    private static final int LOOPS = 2;

    /**
     * Eight clients at once, each streaming its own pattern while reading the echo, then a
     * graceful stop: the listener's close removes the socket file it bound (and only then).
     */
    @Test
    void eightConcurrentClientsByteExactAndSocketFileRemovedOnShutdown() throws Exception {
        Path dir = Files.createTempDirectory("ffm-unix");
        Path sock = dir.resolve("echo.sock");
        try (ServerProcess server = ServerProcess.start("unix-echo", LOOPS, "--path", sock.toString())) {
            assertEquals(sock, server.path());
            assertTrue(Files.exists(sock), "socket file missing while listening");
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
                try (ExecutorService pool = Executors.newFixedThreadPool(16)) {
                    List<Future<?>> clients = new ArrayList<>();
                    for (int c = 0; c < 8; c++) {
                        int seed = c;
                        clients.add(pool.submit(() -> {
                            roundTrip(pool, sock, Wire.pattern(200_000 + seed * 1_001, seed));
                            return null;
                        }));
                    }
                    for (Future<?> f : clients) f.get(15, TimeUnit.SECONDS);
                }
            });
            server.stopGracefully(LOOPS);
            assertFalse(Files.exists(sock), "socket file left behind after a graceful shutdown");
        } finally {
            Files.deleteIfExists(sock);
            Files.deleteIfExists(dir);
        }
    }

    /** A socket file left by a killed server does not stop the next one from binding the path. */
    @Test
    void staleSocketFileFromAKilledServerIsReplaced() throws Exception {
        Path dir = Files.createTempDirectory("ffm-unix");
        Path sock = dir.resolve("echo.sock");
        try {
            ServerProcess first = ServerProcess.start("unix-echo", 1, "--path", sock.toString());
            first.close();   // SIGKILL: no shutdown hook, the file stays
            assertTrue(Files.exists(sock), "a killed server cannot remove its socket file");
            try (ServerProcess second = ServerProcess.start("unix-echo", 1, "--path", sock.toString())) {
                assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                    try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
                        roundTrip(pool, sock, Wire.pattern(10_000, 3));
                    }
                });
                second.stopGracefully(1);
            }
            assertFalse(Files.exists(sock), "socket file left behind after a graceful shutdown");
        } finally {
            Files.deleteIfExists(sock);
            Files.deleteIfExists(dir);
        }
    }

    /** Writes {@code data} from a second thread while reading the echo here, so neither side stalls. */
    private static void roundTrip(ExecutorService pool, Path sock, byte[] data) throws Exception {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(sock));
            Future<?> sent = pool.submit(() -> {
                ByteBuffer out = ByteBuffer.wrap(data);
                while (out.hasRemaining()) {
                    int end = Math.min(out.limit(), out.position() + 4093);
                    ch.write(out.duplicate().limit(end));
                    out.position(end);
                }
                return null;
            });
            ByteBuffer in = ByteBuffer.allocate(data.length);
            while (in.hasRemaining()) {
                if (ch.read(in) < 0) break;
            }
            assertEquals(data.length, in.position(), "connection closed early");
            Wire.assertSame(data, in.array(), "unix echo of " + data.length + " bytes");
            sent.get(5, TimeUnit.SECONDS);
        }
    }
}
