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
import java.util.concurrent.CountDownLatch;
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
                long open = -1;
                for (int i = 0; i < 200 && open != 0; i++) {   // the round trip's close is seen a moment later
                    open = r.counters().get(0).connections();
                    if (open != 0) Thread.sleep(10);
                }
                assertEquals(0, open, "connections left open");
            }
        });
    }

    /**
     * A write that meets the peer's reset closes the connection after the callback, and the
     * handler cannot tell in between ({@link Connection#isOpen()} is still true): a second write
     * in the same callback must be discarded, not fail the handler with "closed for output".
     * Found by {@code bench soak}: the HTTP example answers a pipelined batch in several writes.
     */
    @Test
    void writeAfterAPeerResetInTheSameCallbackIsDiscardedNotAHandlerFailure() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            CountDownLatch reset = new CountDownLatch(1);
            CompletableFuture<Throwable> closed = new CompletableFuture<>();
            Handler twoWrites = new Handler() {
                @Override
                public void onRead(Connection c, MemorySegment data) {
                    try {
                        reset.await(5, TimeUnit.SECONDS);   // the client's RST has arrived
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    c.write(new byte[1000]);   // EPIPE or ECONNRESET: closes after this callback
                    c.write(new byte[1000]);
                }

                @Override
                public void onClose(Connection c, Throwable cause) {
                    closed.complete(cause);
                }
            };
            try (Reactor r = Net.small().loops(1).build();
                 Listener l = r.listen(new InetSocketAddress("127.0.0.1", 0), () -> twoWrites)) {
                try (Socket s = Net.connect(l.port())) {
                    s.getOutputStream().write(1);
                    s.setSoLinger(true, 0);
                }
                reset.countDown();
                Throwable cause = closed.get(5, TimeUnit.SECONDS);
                assertInstanceOf(IOException.class, cause, "the reset, not a handler failure: " + cause);
                assertEquals(0, r.counters().get(0).handlerFailures(), "handler failures");
            }
        });
    }

    @Test
    void bytesSentJustBeforeThePeerClosesAreAllDeliveredBeforeEndOfInput() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            CompletableFuture<Long> atEnd = new CompletableFuture<>();
            class Count implements Handler {
                long n;

                @Override
                public void onRead(Connection c, MemorySegment data) {
                    n += data.byteSize();
                }

                @Override
                public void onEndOfInput(Connection c) {
                    atEnd.complete(n);
                    c.close();
                }
            }
            try (Reactor r = Net.small().loops(1).readBudget(16 * 1024).readBufferSize(4096).build();
                 Listener l = r.listen(new InetSocketAddress("127.0.0.1", 0), Count::new)) {
                try (Socket s = Net.connect(l.port())) {
                    s.getOutputStream().write(new byte[300_000]);
                }   // FIN right behind the data: one event may carry IN and RDHUP together
                assertEquals(300_000L, atEnd.get(5, TimeUnit.SECONDS));
            }
        });
    }

    /**
     * A server that answers and closes while the client is still sending has unread input;
     * closing then would make the kernel send RST, which can destroy the answer in flight.
     * The linger drains input after FIN, so the client reads the whole answer and EOF.
     */
    @Test
    void closeWithUnreadInputStillDeliversTheResponseInsteadOfAReset() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            byte[] answer = Net.random(200_000, 7);
            Handler refuseAll = new Handler() {
                boolean answered;

                @Override
                public void onRead(Connection c, MemorySegment data) {
                    if (answered) return;
                    answered = true;
                    c.write(answer);
                    c.close();
                }
            };
            try (Reactor r = Net.small().loops(1).build();
                 Listener l = r.listen(new InetSocketAddress("127.0.0.1", 0), () -> refuseAll)) {
                try (Socket s = Net.connect(l.port())) {
                    Thread writer = Thread.ofPlatform().start(() -> {
                        try {
                            OutputStream out = s.getOutputStream();
                            for (int i = 0; i < 40; i++) {
                                out.write(new byte[32 * 1024]);
                                Thread.sleep(2);
                            }
                        } catch (Exception ignored) {
                            // the server may be gone before we finish: fine
                        }
                    });
                    Thread.sleep(100);   // let unread input pile up on the server
                    InputStream in = s.getInputStream();
                    assertArrayEquals(answer, Net.readFully(in, answer.length));
                    assertEquals(-1, in.read());
                    writer.join();
                }
            }
        });
    }
}
