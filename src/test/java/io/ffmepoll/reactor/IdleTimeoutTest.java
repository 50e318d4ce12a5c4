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
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Read-idle and write-idle timeouts, separate from each other and changeable per connection at run time. */
class IdleTimeoutTest {

    /** Records onOpen and onClose; writes a byte every 50 ms while {@code ticking}. */
    private static class Watched implements Handler {
        final CompletableFuture<Connection> opened = new CompletableFuture<>();
        final CompletableFuture<Throwable> closed = new CompletableFuture<>();
        volatile long openedAt;
        final boolean ticking;

        Watched(boolean ticking) {
            this.ticking = ticking;
        }

        @Override
        public void onOpen(Connection c) {
            openedAt = System.nanoTime();
            opened.complete(c);
            if (ticking) tick(c);
        }

        private void tick(Connection c) {
            if (!c.isOpen()) return;
            c.write(new byte[] {'t'});
            c.loop().schedule(Duration.ofMillis(50), () -> tick(c));
        }

        @Override
        public void onRead(Connection c, MemorySegment data) {}

        @Override
        public void onClose(Connection c, Throwable cause) {
            closed.complete(cause);
        }
    }

    /** A connection that writes all the time but reads nothing is read-idle: output does not reset that clock. */
    @Test
    void readIdleClosesAConnectionThatOnlyWrites() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            Watched h = new Watched(true);
            try (Reactor r = Net.small().readIdleTimeout(Duration.ofMillis(400)).build();
                 Listener l = r.listen(new InetSocketAddress("127.0.0.1", 0), () -> h);
                 Socket s = Net.connect(l.port())) {
                InputStream in = s.getInputStream();
                int ticks = 0;
                while (ticks < 200 && in.read() == 't') ticks++;   // 10 s of ticks at most
                assertTrue(ticks < 200, "still open after " + ticks + " writes: output reset the read-idle clock");
                Throwable cause = h.closed.get(5, TimeUnit.SECONDS);
                long ms = (System.nanoTime() - h.openedAt) / 1_000_000;
                assertInstanceOf(TimeoutException.class, cause);
                assertTrue(cause.getMessage().startsWith("no input"), cause.getMessage());
                assertTrue(ms >= 400, "closed after " + ms + " ms");
                assertTrue(ticks >= 2, "only " + ticks + " bytes written before the read-idle close");
            }
        });
    }

    /** A connection that reads all the time but writes nothing is write-idle: input does not reset that clock. */
    @Test
    void writeIdleClosesAConnectionThatOnlyReads() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            Watched h = new Watched(false);
            try (Reactor r = Net.small().writeIdleTimeout(Duration.ofMillis(400)).build();
                 Listener l = r.listen(new InetSocketAddress("127.0.0.1", 0), () -> h);
                 Socket s = Net.connect(l.port())) {
                OutputStream out = s.getOutputStream();
                int sent = 0;
                try {
                    while (!h.closed.isDone() && sent < 200) {   // 10 s at most
                        out.write('r');
                        sent++;
                        Thread.sleep(50);
                    }
                } catch (java.io.IOException reset) {
                    // the server closed while we were still sending
                }
                assertTrue(sent < 200, "still open after " + sent + " inputs: input reset the write-idle clock");
                Throwable cause = h.closed.get(5, TimeUnit.SECONDS);
                assertInstanceOf(TimeoutException.class, cause);
                assertTrue(cause.getMessage().startsWith("no output"), cause.getMessage());
                assertTrue(sent >= 4, "closed after only " + sent + " inputs");
            }
        });
    }

    /**
     * Changed from another thread while the connection runs: a read timeout set and then
     * turned off again never fires, so the write timeout set after it is the one that closes.
     */
    @Test
    void idleTimeoutsChangeAtRunTimeFromAnyThread() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            Watched h = new Watched(false);
            try (Reactor r = Net.small().build();
                 Listener l = r.listen(new InetSocketAddress("127.0.0.1", 0), () -> h);
                 Socket s = Net.connect(l.port())) {
                Connection c = h.opened.get(5, TimeUnit.SECONDS);
                c.idleTimeout(Idle.READ, Duration.ofMillis(200));
                c.idleTimeout(Idle.READ, Duration.ZERO);
                c.idleTimeout(Idle.WRITE, Duration.ofMillis(600));
                c.loop().submit(() -> null).get(5, TimeUnit.SECONDS);
                assertEquals(Duration.ZERO, c.idleTimeout(Idle.READ));
                assertEquals(Duration.ofMillis(600), c.idleTimeout(Idle.WRITE));
                Throwable cause = h.closed.get(10, TimeUnit.SECONDS);
                assertInstanceOf(TimeoutException.class, cause);
                assertTrue(cause.getMessage().startsWith("no output"),
                        "closed by the read timeout that was turned off: " + cause.getMessage());
                assertEquals(-1, s.getInputStream().read());
            }
        });
    }

    /** onIdle overridden to send a heartbeat: reported again each timeout while idle, and nothing closes. */
    @Test
    void onIdleCanSendHeartbeatsInsteadOfClosing() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            CompletableFuture<Connection> opened = new CompletableFuture<>();
            Handler heartbeat = new Handler() {
                @Override
                public void onOpen(Connection c) {
                    opened.complete(c);
                }

                @Override
                public void onRead(Connection c, MemorySegment data) {}

                @Override
                public void onIdle(Connection c, Idle kind) {
                    if (kind == Idle.WRITE) c.write(new byte[] {'p'});
                    else Handler.super.onIdle(c, kind);
                }
            };
            try (Reactor r = Net.small().writeIdleTimeout(Duration.ofMillis(100)).build();
                 Listener l = r.listen(new InetSocketAddress("127.0.0.1", 0), () -> heartbeat);
                 Socket s = Net.connect(l.port())) {
                s.setSoTimeout(5_000);
                InputStream in = s.getInputStream();
                for (int i = 0; i < 3; i++) assertEquals('p', in.read(), "heartbeat " + i);
                assertTrue(opened.get(5, TimeUnit.SECONDS).isOpen());
            }
        });
    }

    @Test
    void negativeIdleTimeoutsAreRejected() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> Reactor.builder().readIdleTimeout(Duration.ofMillis(-1)).build());
        assertThrows(IllegalArgumentException.class, () -> Reactor.builder().writeIdleTimeout(Duration.ofMillis(-1)).build());
    }

    private static void assertThrows(Class<? extends Throwable> type, org.junit.jupiter.api.function.Executable e) {
        org.junit.jupiter.api.Assertions.assertThrows(type, e);
    }
}
