package io.ffmepoll.reactor;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

class HalfCloseAndResetTest {

    @Test
    void clientHalfCloseGetsEveryEchoedByteThenEndOfStream() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            CompletableFuture<Throwable> closed = new CompletableFuture<>();
            try (Reactor r = Net.small().build();
                 Listener l = r.listen(new InetSocketAddress("127.0.0.1", 0), () -> new Echo() {
                     @Override
                     public void onClose(Connection c, Throwable cause) {
                         closed.complete(cause);
                     }
                 })) {
                byte[] data = Net.random(2 << 20, 3);
                try (Socket s = Net.connect(l.port())) {
                    Thread writer = Thread.ofPlatform().start(() -> {
                        try {
                            s.getOutputStream().write(data);
                            s.shutdownOutput();   // FIN while echoes are still in flight
                        } catch (IOException e) {
                            throw new RuntimeException(e);
                        }
                    });
                    InputStream in = s.getInputStream();
                    assertArrayEquals(data, Net.readFully(in, data.length));
                    assertEquals(-1, in.read(), "expected end of stream after the echoed data");
                    writer.join();
                }
                assertNull(closed.get(5, TimeUnit.SECONDS), "orderly close has no cause");
            }
        });
    }

    @Test
    void serverShutdownOutputSendsFinAndKeepsReading() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            CompletableFuture<Long> total = new CompletableFuture<>();
            Handler h = new Handler() {
                long n;

                @Override
                public void onOpen(Connection c) {
                    c.write("bye".getBytes(StandardCharsets.US_ASCII));
                    c.shutdownOutput();
                }

                @Override
                public void onRead(Connection c, MemorySegment data) {
                    n += data.byteSize();
                }

                @Override
                public void onEndOfInput(Connection c) {
                    total.complete(n);
                    c.close();
                }
            };
            try (Reactor r = Net.small().build();
                 Listener l = r.listen(new InetSocketAddress("127.0.0.1", 0), () -> h)) {
                try (Socket s = Net.connect(l.port())) {
                    InputStream in = s.getInputStream();
                    assertArrayEquals("bye".getBytes(StandardCharsets.US_ASCII), Net.readFully(in, 3));
                    assertEquals(-1, in.read());
                    OutputStream out = s.getOutputStream();
                    out.write(new byte[100_000]);   // the server still reads after its FIN
                    s.shutdownOutput();
                    assertEquals(100_000L, total.get(5, TimeUnit.SECONDS));
                }
            }
        });
    }

    @Test
    void resetInMidTransferClosesThatConnectionWithTheErrorAndTheLoopSurvives() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            CompletableFuture<Throwable> closed = new CompletableFuture<>();
            try (Reactor r = Net.small().loops(1).build();
                 Listener l = r.listen(new InetSocketAddress("127.0.0.1", 0), () -> new Echo() {
                     @Override
                     public void onClose(Connection c, Throwable cause) {
                         closed.complete(cause);
                     }
                 })) {
                try (Socket s = Net.connect(l.port())) {
                    s.getOutputStream().write(new byte[4 << 20]);   // echoes pile up unread
                    Thread.sleep(100);
                    s.setSoLinger(true, 0);                          // close sends RST
                }
                Throwable cause = closed.get(5, TimeUnit.SECONDS);
                assertInstanceOf(IOException.class, cause, "RST surfaces as an I/O error: " + cause);
                EchoRoundTrip.check(l.port());
                assertEquals(0, r.counters().get(0).connections());
            }
        });
    }
}
