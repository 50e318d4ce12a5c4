package io.ffmepoll.reactor;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UnixUdpAndClientTest {

    @Test
    void unixListenerServesSeveralClientsAtOnceAcrossLoops() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            Path dir = Files.createTempDirectory("ffm-reactor");
            Path path = dir.resolve("echo.sock");
            try (Reactor r = Net.small().build();
                 Listener l = r.listen(UnixDomainSocketAddress.of(path), Echo::new)) {
                List<SocketChannel> clients = new ArrayList<>();
                try {
                    // Each loop in turn is the only one free: the clients that connect then must
                    // be accepted by it, or by nobody. Then every loop holds 10 connections.
                    for (EventLoop free : r.loops()) {
                        List<CountDownLatch> held = new ArrayList<>();
                        for (EventLoop other : r.loops()) if (other != free) held.add(hold(other));
                        try {
                            for (int i = 0; i < 10; i++) clients.add(SocketChannel.open(UnixDomainSocketAddress.of(path)));
                            long accepted = free.counters().accepted();
                            for (int i = 0; i < 500 && accepted < 10; i++) {
                                Thread.sleep(10);
                                accepted = free.counters().accepted();
                            }
                            assertEquals(10, accepted, "connections accepted by loop " + free.index()
                                    + " while the others were busy: " + r.counters());
                        } finally {
                            held.forEach(CountDownLatch::countDown);
                        }
                    }
                    byte[][] sent = new byte[clients.size()][];
                    for (int i = 0; i < clients.size(); i++) {
                        sent[i] = Net.random(100_000 + i, i);
                        ByteBuffer b = ByteBuffer.wrap(sent[i]);
                        while (b.hasRemaining()) clients.get(i).write(b);
                    }
                    for (int i = 0; i < clients.size(); i++) {
                        ByteBuffer b = ByteBuffer.allocate(sent[i].length);
                        while (b.hasRemaining()) assertTrue(clients.get(i).read(b) >= 0, "EOF");
                        assertArrayEquals(sent[i], b.array());
                    }
                    for (LoopCounters c : r.counters()) assertEquals(10, c.accepted(), "per loop: " + r.counters());
                } finally {
                    for (SocketChannel c : clients) c.close();
                }
            } finally {
                Files.deleteIfExists(path);
                Files.deleteIfExists(dir);
            }
        });
    }

    @Test
    void udpEndpointEchoesDatagramsToTheirSenders() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            try (Reactor r = Net.small().build();
                 Listener l = r.bindUdp(new InetSocketAddress("127.0.0.1", 0), () -> (ep, data, from) -> ep.send(data, from))) {
                for (int k = 0; k < 3; k++) {
                    try (DatagramSocket d = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
                        d.setSoTimeout(5000);
                        for (int i = 0; i < 50; i++) {
                            byte[] msg = ("datagram " + k + "/" + i).getBytes();
                            d.send(new DatagramPacket(msg, msg.length, new InetSocketAddress("127.0.0.1", l.port())));
                            DatagramPacket p = new DatagramPacket(new byte[100], 100);
                            d.receive(p);
                            assertArrayEquals(msg, Arrays.copyOf(p.getData(), p.getLength()));
                        }
                    }
                }
            }
        });
    }

    @Test
    void clientConnectCompletesOnEstablishmentAndFailsOnRefusal() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            try (Reactor r = Net.small().build();
                 Listener echo = r.listen(new InetSocketAddress("127.0.0.1", 0), Echo::new)) {
                CompletableFuture<byte[]> reply = new CompletableFuture<>();
                Handler client = new Handler() {
                    @Override
                    public void onOpen(Connection c) {
                        c.write("hello".getBytes());
                    }

                    @Override
                    public void onRead(Connection c, MemorySegment data) {
                        reply.complete(data.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
                        c.close();
                    }
                };
                Connection c = r.connect(new InetSocketAddress("127.0.0.1", echo.port()), client).get(5, TimeUnit.SECONDS);
                assertTrue(c != null);
                assertArrayEquals("hello".getBytes(), reply.get(5, TimeUnit.SECONDS));

                int closedPort;
                try (ServerSocket ss = new ServerSocket(0)) {
                    closedPort = ss.getLocalPort();
                }
                ExecutionException e = assertThrows(ExecutionException.class, () -> r.connect(
                        new InetSocketAddress("127.0.0.1", closedPort), client).get(5, TimeUnit.SECONDS));
                assertTrue(e.getCause().getMessage().contains("ECONNREFUSED"), e.getCause().toString());
            }
        });
    }

    /**
     * A connect future cancelled before the connection is established gives up the socket: it
     * is closed, whether the loop had not registered it yet or was still connecting, and the
     * handler is never opened.
     */
    @Test
    void cancellingAConnectFutureClosesItsSocket() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            try (Reactor r = Net.small().loops(1).build();
                 ServerSocket server = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
                EventLoop loop = r.loops().get(0);
                InetSocketAddress remote = new InetSocketAddress("127.0.0.1", server.getLocalPort());
                CompletableFuture<Connection> opened = new CompletableFuture<>();
                Handler client = new Handler() {
                    @Override
                    public void onOpen(Connection c) {
                        opened.complete(c);
                    }

                    @Override
                    public void onRead(Connection c, MemorySegment data) {}
                };
                Map<Integer, String> before = Net.fds();
                for (boolean registeredFirst : new boolean[] {false, true}) {
                    CountDownLatch held = new CountDownLatch(1);
                    CountDownLatch release = new CountDownLatch(1);
                    loop.execute(() -> Net.awaitQuietly(release));   // registration waits behind this
                    CompletableFuture<Connection> f = r.connect(remote, client);
                    if (registeredFirst) {
                        // Tasks run in order in one batch: the registration, then this one, which
                        // holds the loop before its next wait can report the connect complete.
                        CountDownLatch releaseAgain = new CountDownLatch(1);
                        loop.execute(() -> {
                            held.countDown();
                            Net.awaitQuietly(releaseAgain);
                        });
                        release.countDown();
                        assertTrue(held.await(5, TimeUnit.SECONDS));
                        assertTrue(f.cancel(true), "already completed: " + f);
                        releaseAgain.countDown();
                    } else {
                        assertTrue(f.cancel(true), "already completed: " + f);
                        release.countDown();
                    }
                    assertEquals(before, Net.awaitFds(before),
                            "socket left open after cancel (registered first: " + registeredFirst + ")");
                }
                Thread.sleep(50);
                assertFalse(opened.isDone(), "a cancelled connection was opened");
            }
        });
    }

    /** Keeps {@code loop} busy in a task until the returned latch is counted down. */
    private static CountDownLatch hold(EventLoop loop) throws InterruptedException {
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        loop.execute(() -> {
            held.countDown();
            Net.awaitQuietly(release);
        });
        assertTrue(held.await(5, TimeUnit.SECONDS), "loop " + loop.index() + " not held");
        return release;
    }
}
