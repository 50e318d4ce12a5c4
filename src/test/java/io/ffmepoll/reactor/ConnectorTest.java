package io.ffmepoll.reactor;

import io.ffmepoll.socket.Option;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reactor.connector: timeout, cancellation, local address and options, over loopback TCP. */
class ConnectorTest {

    /**
     * A listener that never accepts, with its accept queue filled: Linux drops the SYNs that
     * arrive then, so a connect to it stays in SYN_SENT (retransmitting) until it gives up.
     */
    private static final class FullBacklog implements AutoCloseable {
        final ServerSocket server;
        final List<Socket> fillers = new ArrayList<>();

        FullBacklog() throws Exception {
            server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
            for (int i = 0; i < 16; i++) {
                Socket s = new Socket();
                try {
                    s.connect(server.getLocalSocketAddress(), 300);
                    fillers.add(s);
                } catch (SocketTimeoutException full) {
                    s.close();
                    return;
                }
            }
            throw new IllegalStateException("the accept queue never filled");
        }

        InetSocketAddress address() {
            return (InetSocketAddress) server.getLocalSocketAddress();
        }

        @Override
        public void close() throws Exception {
            for (Socket s : fillers) s.close();
            server.close();
        }
    }

    private static final class Recording implements Handler {
        final AtomicBoolean opened = new AtomicBoolean();

        @Override
        public void onOpen(Connection c) {
            opened.set(true);
        }

        @Override
        public void onRead(Connection c, MemorySegment data) {}
    }

    @Test
    void connectThatDoesNotCompleteInTimeFailsWithSocketTimeoutAndClosesItsSocket() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            try (Reactor r = Net.small().loops(1).build(); FullBacklog target = new FullBacklog()) {
                Map<Integer, String> before = Net.fds();
                Recording h = new Recording();
                long t0 = System.nanoTime();
                CompletableFuture<Connection> f = r.connector(target.address()).timeout(Duration.ofMillis(300)).connect(h);
                ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertInstanceOf(SocketTimeoutException.class, e.getCause());
                assertTrue(e.getCause().getMessage().contains("300 ms"), e.getCause().getMessage());
                assertTrue(ms >= 300, "failed after " + ms + " ms, before its timeout");
                assertFalse(h.opened.get(), "onOpen called for a connect that timed out");
                assertEquals(before, Net.awaitFds(before), "the timed-out socket was left open");
            }
        });
    }

    @Test
    void cancellingAConnectInProgressClosesItsSocket() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            try (Reactor r = Net.small().loops(1).build(); FullBacklog target = new FullBacklog()) {
                EventLoop loop = r.loops().get(0);
                Map<Integer, String> before = Net.fds();
                Recording h = new Recording();
                CompletableFuture<Connection> f = r.connector(target.address()).loop(loop).connect(h);
                loop.submit(() -> null).get(5, TimeUnit.SECONDS);   // registered, connecting
                assertFalse(f.isDone(), "a connect to a full backlog completed");
                assertTrue(f.cancel(false));
                assertEquals(before, Net.awaitFds(before), "the cancelled connect's socket was left open");
                assertFalse(h.opened.get());
            }
        });
    }

    @Test
    void connectorBindsTheLocalAddressAndSetsOptionsBeforeConnecting() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            try (Reactor r = Net.small().loops(1).build();
                 ServerSocket server = new ServerSocket(0, 16, InetAddress.getByName("127.0.0.1"))) {
                InetSocketAddress local = new InetSocketAddress("127.0.0.2", 0);
                Connection c = r.connector(new InetSocketAddress("127.0.0.1", server.getLocalPort()))
                        .localAddress(local)
                        .option(Option.SO_RCVBUF.of(7000))
                        .timeout(Duration.ofSeconds(5))
                        .connect(new Recording()).get(5, TimeUnit.SECONDS);
                try (Socket accepted = server.accept()) {
                    assertEquals(InetAddress.getByName("127.0.0.2"), accepted.getInetAddress(), "peer address seen by the server");
                    assertEquals("127.0.0.2", ((InetSocketAddress) c.socket().localAddress()).getHostString());
                    assertEquals(14000, c.socket().getOption(Option.SO_RCVBUF), "SO_RCVBUF (Linux doubles what is set)");
                }
                c.close();
            }
        });
    }

    @Test
    void connectorRejectsALoopOfAnotherReactorAndANegativeTimeout() throws Exception {
        try (Reactor r = Net.small().loops(1).build(); Reactor other = Net.small().loops(1).build()) {
            InetSocketAddress a = new InetSocketAddress("127.0.0.1", 1);
            assertThrows(IllegalArgumentException.class, () -> r.connector(a).loop(other.loops().get(0)));
            assertThrows(IllegalArgumentException.class, () -> r.connector(a).timeout(Duration.ofMillis(-1)));
        }
    }
}
