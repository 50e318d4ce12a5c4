package io.ffmepoll.reactor;

import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackpressureTest {

    static final int LOW = 16 * 1024, HIGH = 64 * 1024, READ = 16 * 1024;

    @Test
    void slowReaderKeepsQueuedBytesUnderHighWatermarkPlusOneRead() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            AtomicLong maxQueued = new AtomicLong();
            try (Reactor r = Net.small().loops(1).watermarks(LOW, HIGH).readBufferSize(READ).readBudget(4 * READ).build();
                 Listener l = r.listen(new InetSocketAddress("127.0.0.1", 0), () -> new Echo(maxQueued))) {
                byte[] data = Net.random(16 << 20, 2);
                try (Socket s = Net.connect(l.port())) {
                    Thread writer = Thread.ofPlatform().start(() -> {
                        try {
                            OutputStream out = s.getOutputStream();
                            out.write(data);
                        } catch (Exception e) {
                            throw new RuntimeException(e);
                        }
                    });
                    // Read nothing for a while: the server's queue must stay bounded meanwhile.
                    Thread.sleep(800);
                    long stalled = maxQueued.get();
                    assertTrue(stalled > 0, "server never had to queue");
                    assertTrue(stalled <= HIGH + READ, "queued " + stalled + " > high watermark + one read");
                    InputStream in = s.getInputStream();
                    byte[] back = Net.readFully(in, data.length);
                    writer.join();
                    assertArrayEquals(data, back);
                }
                assertTrue(maxQueued.get() <= HIGH + READ, "queued " + maxQueued.get() + " > high watermark + one read");
            }
        });
    }

    @Test
    void handlerIgnoringWritabilityIsClosedAtTheHardLimitAndTheLoopCarriesOn() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            CompletableFuture<Throwable> closedWith = new CompletableFuture<>();
            MemorySegment block = MemorySegment.ofArray(new byte[64 * 1024]);
            Handler flooder = new Handler() {
                @Override
                public void onOpen(Connection c) {
                    // Writes 64 KiB per task forever, never looking at writability.
                    c.loop().execute(new Runnable() {
                        public void run() {
                            if (!c.isOpen()) return;
                            try {
                                c.write(block);
                            } catch (IllegalStateException overLimit) {
                                c.abort();
                                closedWith.complete(overLimit);
                                return;
                            }
                            c.loop().execute(this);
                        }
                    });
                }

                @Override
                public void onRead(Connection c, MemorySegment data) {}
            };
            try (Reactor r = Net.small().loops(1).watermarks(LOW, HIGH).maxQueuedBytes(1 << 20).build();
                 Listener l = r.listen(new InetSocketAddress("127.0.0.1", 0), () -> flooder)) {
                try (Socket s = new Socket()) {   // never reads
                    try {
                        s.connect(new InetSocketAddress("127.0.0.1", l.port()), 5000);
                    } catch (java.net.SocketException reset) {
                        // The server can fill 1 MiB and abort before connect() sees the
                        // handshake end; then connect() reports the reset. Either way:
                    }
                    assertInstanceOf(IllegalStateException.class, closedWith.get(10, TimeUnit.SECONDS));
                }
                try (Listener echo = r.listen(new InetSocketAddress("127.0.0.1", 0), Echo::new)) {
                    EchoRoundTrip.check(echo.port());   // same single loop: still serving
                }
            }
        });
    }
}
