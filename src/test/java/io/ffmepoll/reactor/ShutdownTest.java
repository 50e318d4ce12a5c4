package io.ffmepoll.reactor;

import io.ffmepoll.socket.UnixStream;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShutdownTest {

    @Test
    void shutdownLeavesTheDescriptorTableAsItWasBeforeTheLoopsStarted() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            exercise();   // first run loads classes and opens whatever the JVM opens lazily
            Map<Integer, String> before = Net.fds();
            exercise();
            Map<Integer, String> after = Net.fds();
            assertEquals(before, after, "descriptors differ after shutdown");
        });
    }

    /** Loops, TCP/Unix/UDP listeners, connections in every state, a registration, timers: then close. */
    private static void exercise() throws Exception {
        Path dir = Files.createTempDirectory("ffm-reactor");
        Path sock = dir.resolve("s.sock");
        List<AutoCloseable> clients = new ArrayList<>();
        Reactor r = Net.small().build();
        try {
            Listener tcp = r.listen(new InetSocketAddress("127.0.0.1", 0), Echo::new);
            r.listen(UnixDomainSocketAddress.of(sock), Echo::new);
            Listener udp = r.bindUdp(new InetSocketAddress("127.0.0.1", 0), () -> (ep, data, from) -> ep.send(data, from));
            for (int i = 0; i < 5; i++) {
                Socket s = Net.connect(tcp.port());
                clients.add(s);
                s.getOutputStream().write(new byte[] {1, 2, 3});
                assertArrayEquals(new byte[] {1, 2, 3}, Net.readFully(s.getInputStream(), 3));
            }
            SocketChannel u = SocketChannel.open(UnixDomainSocketAddress.of(sock));
            clients.add(u);
            Socket unread = Net.connect(tcp.port());
            clients.add(unread);
            unread.getOutputStream().write(new byte[1 << 20]);   // queued output at shutdown
            UnixStream[] pair = UnixStream.pair();
            clients.add(pair[1]);
            r.next().register(pair[0], new Echo()).get(5, TimeUnit.SECONDS);
            try (DatagramSocket d = new DatagramSocket()) {
                d.setSoTimeout(5000);
                d.send(new DatagramPacket(new byte[] {9}, 1, new InetSocketAddress("127.0.0.1", udp.port())));
                d.receive(new DatagramPacket(new byte[8], 8));
            }
            r.loops().get(0).schedule(Duration.ofHours(1), () -> {});
            r.connect(new InetSocketAddress("127.0.0.1", tcp.port()), new Echo()).get(5, TimeUnit.SECONDS);
        } finally {
            r.shutdown(Duration.ofMillis(300));
            assertTrue(r.awaitTermination(Duration.ofSeconds(10)), "loops did not terminate");
            for (AutoCloseable c : clients) c.close();
            assertFalse(Files.exists(sock), "Unix socket file left behind");
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void gracefulShutdownFlushesQueuedOutputBeforeClosing() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            byte[] payload = Net.random(4 << 20, 5);
            CompletableFuture<Connection> opened = new CompletableFuture<>();
            Reactor r = Net.small().maxQueuedBytes(8 << 20).build();
            Listener l = r.listen(new InetSocketAddress("127.0.0.1", 0), () -> new Handler() {
                @Override
                public void onOpen(Connection c) {
                    c.write(payload);
                    opened.complete(c);
                }

                @Override
                public void onRead(Connection c, MemorySegment data) {}
            });
            try (Socket s = Net.connect(l.port())) {
                opened.get(5, TimeUnit.SECONDS);
                r.shutdown(Duration.ofSeconds(10));
                InputStream in = s.getInputStream();
                assertArrayEquals(payload, Net.readFully(in, payload.length));
                assertEquals(-1, in.read());
            }
            assertTrue(r.awaitTermination(Duration.ofSeconds(10)));
        });
    }

    @Test
    void connectionsThatCannotFlushAreClosedWhenTheGraceRunsOut() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            CompletableFuture<Throwable> cause = new CompletableFuture<>();
            Reactor r = Net.small().maxQueuedBytes(8 << 20).build();
            Listener l = r.listen(new InetSocketAddress("127.0.0.1", 0), () -> new Handler() {
                @Override
                public void onOpen(Connection c) {
                    c.write(new byte[4 << 20]);
                }

                @Override
                public void onRead(Connection c, MemorySegment data) {}

                @Override
                public void onClose(Connection c, Throwable t) {
                    cause.complete(t);
                }
            });
            try (Socket s = Net.connect(l.port())) {   // never reads
                Thread.sleep(100);
                long t0 = System.nanoTime();
                r.shutdown(Duration.ofMillis(200));
                assertTrue(r.awaitTermination(Duration.ofSeconds(5)));
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(ms >= 150 && ms < 3000, "terminated after " + ms + " ms");
                assertInstanceOf(CancellationException.class, cause.get(1, TimeUnit.SECONDS));
            }
        });
    }

    /**
     * Termination runs the tasks already queued, once: a task that queues itself again from
     * there is refused, so it cannot keep the loop (and a core) busy forever.
     */
    @Test
    void terminationEndsWhileATaskKeepsReexecutingItself() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            Reactor r = Net.small().loops(1).build();
            EventLoop loop = r.loops().get(0);
            AtomicBoolean stop = new AtomicBoolean();   // lets an unfixed loop end after the assertion
            AtomicLong runs = new AtomicLong();
            try {
                loop.execute(new Runnable() {
                    @Override
                    public void run() {
                        runs.incrementAndGet();
                        if (!stop.get()) loop.execute(this);
                    }
                });
                r.shutdown(Duration.ofMillis(100));
                assertTrue(r.awaitTermination(Duration.ofSeconds(5)),
                        "loop still running 5 s after a 100 ms grace: " + runs.get() + " task runs");
                long after = runs.get();
                Thread.sleep(20);
                assertEquals(after, runs.get(), "the task ran after termination");
            } finally {
                stop.set(true);
                r.awaitTermination(Duration.ofSeconds(10));
            }
        });
    }

    /**
     * Work in flight when a graceful shutdown begins completes within the grace: a reply that a
     * worker thread hands back to the loop and a reply a 200 ms timer writes both reach their
     * clients intact, then EOF; the loops end as soon as those connections are closed, well
     * before the grace runs out. New registrations are refused meanwhile.
     */
    @Test
    void gracefulShutdownLetsWorkerAndTimerRepliesInFlightArrive() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            CountDownLatch requests = new CountDownLatch(2);
            CountDownLatch shutdownBegun = new CountDownLatch(1);
            Reactor r = Net.small().build();
            try {
                Listener l = r.listen(new InetSocketAddress("127.0.0.1", 0), () -> new Handler() {
                    @Override
                    public void onRead(Connection c, MemorySegment data) {
                        byte kind = data.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0);
                        if (kind == 'W') {
                            Thread.ofPlatform().start(() -> {   // a worker computes the reply
                                Net.awaitQuietly(shutdownBegun);
                                sleepQuietly(200);
                                c.loop().execute(() -> reply(c, "worker reply"));
                            });
                        } else {
                            c.loop().schedule(Duration.ofMillis(200), () -> reply(c, "timer reply"));
                        }
                        requests.countDown();
                    }

                    // This handler has a reply in flight: it keeps the connection and closes
                    // it after the reply.
                    @Override
                    public void onShutdown(Connection c) {}
                });
                try (Socket worker = Net.connect(l.port()); Socket timer = Net.connect(l.port())) {
                    worker.getOutputStream().write('W');
                    timer.getOutputStream().write('T');
                    assertTrue(requests.await(5, TimeUnit.SECONDS), "requests not received");
                    long t0 = System.nanoTime();
                    r.shutdown(Duration.ofSeconds(5));
                    shutdownBegun.countDown();
                    UnixStream[] pair = UnixStream.pair();
                    try {
                        assertThrows(RejectedExecutionException.class, () -> r.next().register(pair[0], new Echo()));
                        assertFalse(pair[0].isOpen(), "a refused registration left its socket open");
                    } finally {
                        pair[1].close();
                    }
                    assertArrayEquals("worker reply".getBytes(), Net.readFully(worker.getInputStream(), 12));
                    assertEquals(-1, worker.getInputStream().read());
                    assertArrayEquals("timer reply".getBytes(), Net.readFully(timer.getInputStream(), 11));
                    assertEquals(-1, timer.getInputStream().read());
                    assertTrue(r.awaitTermination(Duration.ofSeconds(10)), "loops did not end");
                    long ms = (System.nanoTime() - t0) / 1_000_000;
                    assertTrue(ms < 4000, "loops ended after " + ms + " ms: they waited for the grace, not for the work");
                }
            } finally {
                r.close();
            }
        });
    }

    private static void reply(Connection c, String text) {
        c.write(text.getBytes());
        c.close();
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
