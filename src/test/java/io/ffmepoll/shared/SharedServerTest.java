package io.ffmepoll.shared;

import io.ffmepoll.epoll.Epoll;
import io.ffmepoll.epoll.Fds;
import io.ffmepoll.epoll.EventArray;
import io.ffmepoll.epoll.Interest;
import io.ffmepoll.epoll.Pipe;
import io.ffmepoll.reactor.Net;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shared-epoll server on real loopback sockets; every test bounded in time. */
class SharedServerTest {

    static final class Echo implements SharedHandler {
        @Override
        public void onRead(SharedConnection c, MemorySegment data) {
            c.write(data);
        }
    }

    static Socket connect(SocketAddress a) throws IOException {
        Socket s = new Socket();
        s.connect(a, 5000);
        s.setSoTimeout(10_000);
        return s;
    }

    static SocketAddress loopback() {
        return new InetSocketAddress("127.0.0.1", 0);
    }

    @Test
    void echoesManyClientsOverOneSharedEpoll() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            try (SharedServer server = SharedServer.builder().workers(4).build()) {
                SocketAddress at = server.listen(loopback(), Echo::new);
                List<Socket> clients = new ArrayList<>();
                for (int i = 0; i < 20; i++) clients.add(connect(at));
                for (int round = 0; round < 20; round++) {
                    for (int i = 0; i < clients.size(); i++) {
                        clients.get(i).getOutputStream().write(("m" + round + "-" + i + ";").getBytes());
                    }
                    for (int i = 0; i < clients.size(); i++) {
                        byte[] want = ("m" + round + "-" + i + ";").getBytes();
                        assertArrayEquals(want, Net.readFully(clients.get(i).getInputStream(), want.length));
                    }
                }
                for (Socket s : clients) s.close();
                SharedCounters c = server.counters();
                assertEquals(20, c.accepted());
                assertTrue(c.rearms() > 0, c.toString());
            }
        });
    }

    /**
     * The kernel behaviour the model rests on: a one-shot registration is disabled after it fires
     * (input arriving then raises nothing), and EPOLL_CTL_MOD re-arms it and reports input
     * that is already there.
     */
    @Test
    void oneShotModReportsInputThatArrivedWhileDisabled() throws Exception {
        try (Epoll epoll = Epoll.open(); Pipe pipe = Pipe.open(); EventArray events = EventArray.allocate(4);
             Arena arena = Arena.ofConfined()) {
            MemorySegment b = arena.allocate(16);
            Interest oneShot = Interest.of(Interest.IN, Interest.ONESHOT);
            epoll.add(pipe.source(), oneShot, 7);
            pipe.sink().write(b.asSlice(0, 1));
            assertEquals(1, epoll.wait(events, 1000));
            pipe.source().read(b);                      // drained
            pipe.sink().write(b.asSlice(0, 1));         // arrives while disabled
            assertEquals(0, epoll.wait(events, 50), "a fired one-shot registration reports nothing until re-armed");
            epoll.modify(pipe.source(), oneShot, 7);
            assertEquals(1, epoll.wait(events, 1000), "MOD reports input that came before it");
            assertEquals(7, events.token(0));
        }
    }

    /**
     * Input that arrives after the worker's last read (EAGAIN) and before its re-arm must be
     * reported by the EPOLL_CTL_MOD itself: the test seam writes it in exactly that window.
     */
    @Test
    void inputArrivingBetweenTheLastReadAndTheRearmIsNotLost() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            StringBuffer got = new StringBuffer();
            CompletableFuture<Void> all = new CompletableFuture<>();
            try (SharedServer server = SharedServer.builder().workers(2).build()) {
                SocketAddress at = server.listen(loopback(), () -> (c, data) -> {
                    got.append(new String(data.toArray(ValueLayout.JAVA_BYTE)));
                    if (got.toString().equals("firstlate")) all.complete(null);
                });
                try (Socket client = connect(at)) {
                    OutputStream out = client.getOutputStream();
                    AtomicInteger fired = new AtomicInteger();
                    server.beforeRearm = () -> {
                        // Once, after "first" was read to EAGAIN: on loopback the write has put the
                        // bytes in the server socket's receive queue when it returns.
                        if (got.toString().equals("first") && fired.getAndIncrement() == 0) {
                            try {
                                out.write("late".getBytes());
                            } catch (IOException e) {
                                throw new RuntimeException(e);
                            }
                        }
                    };
                    out.write("first".getBytes());
                    all.get(10, TimeUnit.SECONDS);
                    assertEquals(1, fired.get());
                } finally {
                    server.beforeRearm = null;
                }
            }
        });
    }

    /**
     * Adversarial exclusivity: many connections and workers, pipelined messages, handlers that
     * linger in the callback, and other threads closing connections at random while their
     * handlers may be running. Each handler records entry and exit; two threads inside one
     * connection's callbacks at once is a failure.
     */
    @Test
    void aConnectionIsNeverRunByTwoThreadsAtOnce() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            AtomicInteger violations = new AtomicInteger();
            AtomicLong entries = new AtomicLong();
            List<SharedConnection> conns = new java.util.concurrent.CopyOnWriteArrayList<>();
            final class Exclusive implements SharedHandler {
                final AtomicInteger inside = new AtomicInteger();

                void enter() {
                    entries.incrementAndGet();
                    if (inside.incrementAndGet() != 1) violations.incrementAndGet();
                    Thread.onSpinWait();
                    if (entries.get() % 7 == 0) Thread.yield();   // widen the window
                }

                void exit() {
                    if (inside.decrementAndGet() != 0) violations.incrementAndGet();
                }

                @Override
                public void onOpen(SharedConnection c) {
                    enter();
                    conns.add(c);
                    exit();
                }

                @Override
                public void onRead(SharedConnection c, MemorySegment data) {
                    enter();
                    try {
                        c.write(data);
                    } finally {
                        exit();
                    }
                }

                @Override
                public void onEndOfInput(SharedConnection c) {
                    enter();
                    c.close();
                    exit();
                }

                @Override
                public void onClose(SharedConnection c, Throwable cause) {
                    enter();
                    exit();
                }
            }
            int clients = 48;
            try (SharedServer server = SharedServer.builder().workers(8).readBufferSize(256).readBudget(256).build()) {
                SocketAddress at = server.listen(loopback(), Exclusive::new);
                ExecutorService pool = Executors.newFixedThreadPool(clients + 2);
                try {
                    List<Future<?>> done = new ArrayList<>();
                    for (int i = 0; i < clients; i++) {
                        int id = i;
                        done.add(pool.submit(() -> {
                            Random r = new Random(id);
                            try (Socket s = connect(at)) {
                                for (int k = 0; k < 40; k++) {
                                    byte[] msg = new byte[1 + r.nextInt(2000)];
                                    r.nextBytes(msg);
                                    s.getOutputStream().write(msg);
                                    byte[] back = Net.readFully(s.getInputStream(), msg.length);
                                    if (!Arrays.equals(msg, back)) throw new AssertionError("echo differs");
                                }
                            } catch (IOException closedByTheCloser) {
                                // the closer threads close connections under their clients
                            }
                            return null;
                        }));
                    }
                    // Two threads closing connections at random while the traffic runs.
                    CountDownLatch closers = new CountDownLatch(2);
                    for (int t = 0; t < 2; t++) {
                        int seed = t;
                        pool.submit(() -> {
                            Random r = new Random(100 + seed);
                            for (int k = 0; k < 200; k++) {
                                if (!conns.isEmpty()) conns.get(r.nextInt(conns.size())).close();
                                Thread.yield();
                            }
                            closers.countDown();
                        });
                    }
                    for (Future<?> f : done) f.get(40, TimeUnit.SECONDS);
                    assertTrue(closers.await(10, TimeUnit.SECONDS));
                } finally {
                    pool.shutdownNow();
                }
                assertEquals(0, violations.get(), "callbacks of one connection overlapped; entries: " + entries.get());
                assertTrue(entries.get() > clients * 10L, "too little traffic to mean anything: " + entries.get());
            }
        });
    }

    /**
     * A close from another thread takes over an idle connection that is still armed: input that
     * arrives while it closes raises an event a worker takes, and that worker must drop it, not
     * run the handler beside the closing thread. The test seam sends the input inside that window.
     */
    @Test
    void aWorkerDropsAnEventForAConnectionAnotherThreadIsClosing() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            CompletableFuture<SharedConnection> opened = new CompletableFuture<>();
            AtomicInteger readsDuringClose = new AtomicInteger();
            java.util.concurrent.atomic.AtomicBoolean closing = new java.util.concurrent.atomic.AtomicBoolean();
            try (SharedServer server = SharedServer.builder().workers(3).build()) {
                SocketAddress at = server.listen(loopback(), () -> new SharedHandler() {
                    public void onOpen(SharedConnection c) {
                        opened.complete(c);
                    }

                    public void onRead(SharedConnection c, MemorySegment data) {
                        if (closing.get()) readsDuringClose.incrementAndGet();
                    }
                });
                try (Socket s = connect(at)) {
                    SharedConnection c = opened.get(10, TimeUnit.SECONDS);
                    // Handed back after its first run (the hand-back comes before the re-arm's count).
                    for (int i = 0; i < 1000 && server.counters().rearms() == 0; i++) Thread.sleep(5);
                    long staleBefore = server.counters().staleEvents();
                    server.afterCloseTakesOver = () -> {
                        closing.set(true);
                        try {
                            s.getOutputStream().write('x');
                            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                            while (server.counters().staleEvents() == staleBefore && readsDuringClose.get() == 0
                                    && System.nanoTime() < deadline) {
                                Thread.sleep(1);
                            }
                        } catch (IOException | InterruptedException e) {
                            throw new RuntimeException(e);
                        }
                    };
                    c.close();
                    closing.set(false);
                    assertEquals(0, readsDuringClose.get(), "a worker ran the handler while another thread closed it");
                    assertTrue(server.counters().staleEvents() > staleBefore,
                            "no worker dropped the event (it ran the connection, or none came): " + server.counters());
                    assertFalse(c.isOpen());   // closed with 'x' unread: the peer sees a reset, not EOF
                } finally {
                    server.afterCloseTakesOver = null;
                }
            }
        });
    }

    /** A handler that blocks holds its own connection only; the other workers serve the rest. */
    @Test
    void aBlockedHandlerDoesNotStallOtherConnections() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            CountDownLatch release = new CountDownLatch(1);
            CountDownLatch blocked = new CountDownLatch(1);
            try (SharedServer server = SharedServer.builder().workers(2).build()) {
                SocketAddress at = server.listen(loopback(), () -> (c, data) -> {
                    if (data.get(ValueLayout.JAVA_BYTE, 0) == 'B') {
                        blocked.countDown();
                        try {
                            release.await(20, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    c.write(data);
                });
                try (Socket slow = connect(at); Socket fast = connect(at)) {
                    slow.getOutputStream().write('B');
                    assertTrue(blocked.await(10, TimeUnit.SECONDS));
                    for (int i = 0; i < 50; i++) {
                        fast.getOutputStream().write('x');
                        assertEquals('x', fast.getInputStream().read());
                    }
                    release.countDown();
                    assertEquals('B', slow.getInputStream().read());
                }
            }
        });
    }

    /**
     * A client that sends without reading: the queue stops growing at the high watermark (plus
     * at most one read's echo), reading pauses, and every byte still comes back in order.
     */
    @Test
    void aPeerThatDoesNotReadPausesReadingInsteadOfGrowingTheQueue() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            int high = 64 * 1024, readBuffer = 16 * 1024;
            AtomicLong maxQueued = new AtomicLong();
            AtomicInteger pausedSeen = new AtomicInteger();
            try (SharedServer server = SharedServer.builder().workers(2).readBufferSize(readBuffer)
                    .highWatermark(high).lowWatermark(16 * 1024).maxQueuedBytes(1 << 20).build()) {
                SocketAddress at = server.listen(loopback(), () -> (c, data) -> {
                    if (!c.write(data)) pausedSeen.incrementAndGet();
                    maxQueued.accumulateAndGet(c.queuedBytes(), Math::max);
                });
                byte[] all = new byte[8 << 20];
                new Random(3).nextBytes(all);
                try (Socket s = connect(at)) {
                    CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
                        try {
                            s.getOutputStream().write(all);
                        } catch (IOException e) {
                            throw new RuntimeException(e);
                        }
                    });
                    Thread.sleep(300);   // let both directions' buffers fill while nobody reads
                    byte[] back = Net.readFully(s.getInputStream(), all.length);
                    sent.get(10, TimeUnit.SECONDS);
                    assertArrayEquals(all, back);
                }
                assertTrue(pausedSeen.get() > 0, "never went over the high watermark: test did not push hard enough");
                assertTrue(maxQueued.get() <= high + readBuffer, "queue grew to " + maxQueued.get());
            }
        });
    }

    /**
     * Shutdown: a reply being computed when it begins is still delivered, idle connections are
     * closed, new connections are refused, and the descriptor table is as it was before.
     */
    @Test
    void shutdownFinishesTheReplyInFlightAndLeavesNoDescriptor() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            Set<Integer> before = Fds.open();
            CountDownLatch inHandler = new CountDownLatch(1);
            SharedServer server = SharedServer.builder().workers(3).build();
            SocketAddress at = server.listen(loopback(), () -> (c, data) -> {
                if (data.get(ValueLayout.JAVA_BYTE, 0) == 'S') {
                    inHandler.countDown();
                    try {
                        Thread.sleep(300);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                c.write(data);
            });
            List<Socket> idle = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                Socket s = connect(at);
                s.getOutputStream().write('i');
                assertEquals('i', s.getInputStream().read());
                idle.add(s);
            }
            try (Socket busy = connect(at)) {
                busy.getOutputStream().write('S');
                assertTrue(inHandler.await(10, TimeUnit.SECONDS));
                server.shutdown(Duration.ofSeconds(5));
                assertEquals('S', busy.getInputStream().read(), "the reply in flight was lost");
                assertEquals(-1, busy.getInputStream().read());
                for (Socket s : idle) assertEquals(-1, s.getInputStream().read());
                assertTrue(server.awaitTermination(Duration.ofSeconds(10)));
                assertThrows(IOException.class, () -> connect(at).close());
            } finally {
                for (Socket s : idle) s.close();
            }
            assertEquals(before, awaitFds(before));
            assertEquals(0, server.counters().open());
        });
    }

    /** A handler that never returns: the grace period ends, the connection is closed under it. */
    @Test
    void shutdownClosesAConnectionWhoseHandlerOutlivesTheGracePeriod() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            CountDownLatch inHandler = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            CompletableFuture<Throwable> cause = new CompletableFuture<>();
            SharedServer server = SharedServer.builder().workers(2).build();
            SocketAddress at = server.listen(loopback(), () -> new SharedHandler() {
                public void onRead(SharedConnection c, MemorySegment data) {
                    inHandler.countDown();
                    try {
                        release.await(20, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }

                public void onClose(SharedConnection c, Throwable t) {
                    cause.complete(t);
                }
            });
            try (Socket s = connect(at)) {
                s.getOutputStream().write('x');
                assertTrue(inHandler.await(10, TimeUnit.SECONDS));
                server.shutdown(Duration.ofMillis(200));
                assertEquals(-1, s.getInputStream().read(), "the grace period's end closes the socket");
                assertFalse(server.awaitTermination(Duration.ofMillis(100)), "the worker is still in the handler");
                release.countDown();
                assertTrue(cause.get(10, TimeUnit.SECONDS) instanceof java.util.concurrent.CancellationException);
                assertTrue(server.awaitTermination(Duration.ofSeconds(10)));
            }
        });
    }

    /** close() from a thread that is not a worker, on an idle connection: closed once, onClose once. */
    @Test
    void closeFromAnotherThreadClosesAnIdleConnectionOnce() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            CompletableFuture<SharedConnection> opened = new CompletableFuture<>();
            AtomicInteger closes = new AtomicInteger();
            try (SharedServer server = SharedServer.builder().workers(2).build()) {
                SocketAddress at = server.listen(loopback(), () -> new SharedHandler() {
                    public void onOpen(SharedConnection c) {
                        opened.complete(c);
                    }

                    public void onRead(SharedConnection c, MemorySegment data) {
                        c.write(data);
                    }

                    public void onClose(SharedConnection c, Throwable cause) {
                        closes.incrementAndGet();
                        assertNull(cause);
                    }
                });
                try (Socket s = connect(at)) {
                    SharedConnection c = opened.get(10, TimeUnit.SECONDS);
                    assertThrows(IllegalStateException.class, () -> c.write(MemorySegment.ofArray(new byte[1])),
                            "write from a thread not running the connection");
                    c.close();
                    c.close();
                    assertEquals(-1, s.getInputStream().read());
                    assertFalse(c.isOpen());
                    assertEquals(1, closes.get());
                }
            }
        });
    }

    /** Waits up to 5 s for the descriptor set to equal {@code expected} (workers close on their own time). */
    static Set<Integer> awaitFds(Set<Integer> expected) throws InterruptedException {
        Set<Integer> now = Fds.open();
        for (int i = 0; i < 500 && !now.equals(expected); i++) {
            Thread.sleep(10);
            now = Fds.open();
        }
        return now;
    }
}
