package io.ffmepoll.reactor;

import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Writability is restored at the low watermark, whatever it is, so a paused reader always resumes. */
class WatermarkTest {

    @Test
    void zeroLowWatermarkRestoresWritabilityOnceTheQueueIsEmpty() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            AtomicLong maxQueued = new AtomicLong();
            try (Reactor r = Net.small().loops(1).watermarks(0, 16 * 1024).build();
                 Listener l = r.listen(new InetSocketAddress("127.0.0.1", 0), () -> new EchoTest.TinyBuffersEcho(maxQueued))) {
                byte[] data = Net.random(8 << 20, 14);
                try (Socket s = Net.connect(l.port())) {
                    s.setSoTimeout(5_000);   // a connection that never becomes writable again stalls here
                    Thread writer = Thread.ofPlatform().start(() -> {
                        try {
                            OutputStream out = s.getOutputStream();
                            out.write(data);
                        } catch (Exception e) {
                            // the stalled case: the reader's assertion reports it
                        }
                    });
                    byte[] back = Net.readFully(s.getInputStream(), data.length);
                    writer.join();
                    assertArrayEquals(data, back);
                }
                assertTrue(maxQueued.get() > 16 * 1024, "the queue never passed the high watermark: "
                        + maxQueued.get() + " bytes; writability was not exercised");
            }
        });
    }

    @Test
    void watermarksThatCannotBothHoldAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> Reactor.builder().watermarks(-1, 10).build());
        assertThrows(IllegalArgumentException.class, () -> Reactor.builder().watermarks(10, 10).build());
    }
}
