package io.ffmepoll.reactor;

import io.ffmepoll.socket.Option;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A close that waits for a flush has a deadline: a peer that stops reading cannot pin the connection. */
class CloseFlushDeadlineTest {

    private static final int RESPONSE = 4 << 20;

    /** Writes a response far larger than the socket buffers, then closes. */
    static final class BigResponseThenClose implements Handler {
        final CompletableFuture<Throwable> closedWith = new CompletableFuture<>();
        final CompletableFuture<Long> queuedAtClose = new CompletableFuture<>();

        @Override
        public void onOpen(Connection c) {
            try {
                c.socket().setOption(Option.SO_SNDBUF, 4096);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            c.write(MemorySegment.ofArray(new byte[RESPONSE]));
            queuedAtClose.complete(c.queuedBytes());
            c.close();
        }

        @Override
        public void onRead(Connection c, MemorySegment data) {}

        @Override
        public void onClose(Connection c, Throwable cause) {
            closedWith.complete(cause);
        }
    }

    @Test
    void closeWaitingForAPeerThatStoppedReadingIsResetAtTheDeadline() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            BigResponseThenClose handler = new BigResponseThenClose();
            try (Reactor r = Net.small().loops(1).maxQueuedBytes(2L * RESPONSE)
                    .closeFlushTimeout(Duration.ofMillis(300)).build();
                 Listener l = r.listen(new InetSocketAddress("127.0.0.1", 0), () -> handler);
                 Socket s = new Socket()) {
                s.setReceiveBufferSize(4096);
                s.connect(new InetSocketAddress("127.0.0.1", l.port()));   // and never reads
                long start = System.nanoTime();
                assertTrue(handler.queuedAtClose.get(5, TimeUnit.SECONDS) > 0, "nothing queued: no flush to wait for");
                Throwable cause;
                try {
                    cause = handler.closedWith.get(5, TimeUnit.SECONDS);
                } catch (TimeoutException e) {
                    throw new AssertionError("the closing connection was still waiting for its flush after 5 s", e);
                }
                long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertInstanceOf(TimeoutException.class, cause, "onClose cause");
                assertTrue(cause.getMessage().contains("not flushed"), cause.getMessage());
                assertTrue(waitedMs >= 250, "reset after " + waitedMs + " ms, before the 300 ms deadline");
                assertEquals(0, r.counters().get(0).connections(), "the connection is released");
                // The peer sees a reset, not a clean end of a truncated response.
                s.setSoTimeout(10_000);
                InputStream in = s.getInputStream();
                byte[] buffer = new byte[64 * 1024];
                long got = 0;
                IOException reset = null;
                try {
                    for (int n; (n = in.read(buffer)) >= 0; ) got += n;
                } catch (SocketException e) {
                    reset = e;
                }
                assertTrue(reset != null, "read " + got + " bytes then a clean EOF: the truncation was not reported");
                assertTrue(got < RESPONSE, "the whole response arrived: nothing to reset");
            }
        });
    }

    @Test
    void closeThatFlushesInTimeIsOrderly() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            BigResponseThenClose handler = new BigResponseThenClose();
            try (Reactor r = Net.small().loops(1).maxQueuedBytes(2L * RESPONSE)
                    .closeFlushTimeout(Duration.ofSeconds(20)).build();
                 Listener l = r.listen(new InetSocketAddress("127.0.0.1", 0), () -> handler);
                 Socket s = Net.connect(l.port())) {
                byte[] all = s.getInputStream().readAllBytes();
                assertEquals(RESPONSE, all.length);
                assertEquals(null, handler.closedWith.get(5, TimeUnit.SECONDS));
            }
        });
    }

    @Test
    void closeFlushTimeoutMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> Reactor.builder().closeFlushTimeout(Duration.ZERO).build());
        assertThrows(IllegalArgumentException.class, () -> Reactor.builder().closeFlushTimeout(Duration.ofSeconds(-1)).build());
    }
}
