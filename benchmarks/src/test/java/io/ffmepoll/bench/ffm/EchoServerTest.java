package io.ffmepoll.bench.ffm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** {@code FfmServer --proto echo}: every byte back, in order, under bulk and concurrent load. */
class EchoServerTest {

    @RegisterExtension
    static final SharedServer server = new SharedServer("echo", 2);

    /**
     * 1.5 MiB in one stream is far more than both socket buffers together, so the server must
     * pause reading while its output queue is full and resume on writability without losing or
     * reordering a byte.
     */
    @Test
    void bulkStreamLargerThanSocketBuffersComesBackByteExact() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            byte[] data = Wire.pattern(3 * 512 * 1024 + 17, 1);
            try (Socket s = Wire.connect(server.port());
                 ExecutorService writer = Executors.newSingleThreadExecutor()) {
                OutputStream out = s.getOutputStream();
                Future<?> sent = writer.submit(() -> {
                    // odd-sized chunks so that writes and the server's reads never line up
                    for (int off = 0; off < data.length; off += 10_007) {
                        out.write(data, off, Math.min(10_007, data.length - off));
                    }
                    return null;
                });
                Wire.expect(s.getInputStream(), data, "1.5 MiB echo");
                sent.get(5, TimeUnit.SECONDS);
            }
        });
    }

    /** 50 clients at once, each with its own byte pattern: no stream sees another's bytes. */
    @Test
    void fiftyConcurrentClientsEachGetTheirOwnBytes() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> clients = new ArrayList<>();
                for (int c = 0; c < 50; c++) {
                    int seed = c;
                    clients.add(pool.submit(() -> {
                        try (Socket s = Wire.connect(server.port())) {
                            OutputStream out = s.getOutputStream();
                            InputStream in = s.getInputStream();
                            for (int round = 0; round < 20; round++) {
                                byte[] m = Wire.pattern(1 + (seed * 97 + round * 389) % 6000, seed + round);
                                out.write(m);
                                Wire.expect(in, m, "client " + seed + " round " + round);
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : clients) f.get(15, TimeUnit.SECONDS);
            }
        });
    }

    /** A client that half-closes still gets everything it sent, then the server's FIN. */
    @Test
    void halfCloseStillEchoesEverythingThenCloses() {
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            byte[] m = Wire.pattern(100_000, 9);
            try (Socket s = Wire.connect(server.port())) {
                s.getOutputStream().write(m);
                s.shutdownOutput();
                Wire.expect(s.getInputStream(), m, "echo before the FIN");
                Wire.expectEof(s, "after the client's FIN");
            }
        });
    }
}
