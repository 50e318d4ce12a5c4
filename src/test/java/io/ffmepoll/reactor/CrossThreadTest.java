package io.ffmepoll.reactor;

import io.ffmepoll.socket.UnixStream;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CrossThreadTest {

    /** Every accepted task runs exactly once; every rejected one was refused with an exception. */
    @RepeatedTest(15)
    void executeRacingWithShutdownLosesNoTask() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            Reactor r = Net.small().build();
            AtomicLong ran = new AtomicLong();
            AtomicLong accepted = new AtomicLong();
            AtomicLong rejected = new AtomicLong();
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> producers = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                producers.add(Thread.ofPlatform().start(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    for (int i = 0; i < 20_000; i++) {
                        try {
                            r.next().execute(ran::incrementAndGet);
                            accepted.incrementAndGet();
                        } catch (RejectedExecutionException e) {
                            rejected.incrementAndGet();
                        }
                    }
                }));
            }
            go.countDown();
            Thread.sleep(ThreadLocalRandom.current().nextInt(0, 5));
            r.shutdown(Duration.ofMillis(100));
            for (Thread p : producers) p.join();
            assertTrue(r.awaitTermination(Duration.ofSeconds(10)));
            assertEquals(accepted.get(), ran.get(), "accepted tasks that never ran (or ran twice)");
            assertEquals(80_000, accepted.get() + rejected.get());
        });
    }

    /** A socket handed to register is always closed in the end: served then closed at shutdown, or refused. */
    @RepeatedTest(10)
    void registerRacingWithShutdownNeverLeaksASocket() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            Reactor r = Net.small().build();
            Queue<UnixStream> handed = new ConcurrentLinkedQueue<>();
            Queue<UnixStream> peers = new ConcurrentLinkedQueue<>();
            Queue<CompletableFuture<Connection>> futures = new ConcurrentLinkedQueue<>();
            AtomicLong refusedAtCall = new AtomicLong();
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        go.await();
                        for (int i = 0; i < 100; i++) {
                            UnixStream[] pair = UnixStream.pair();
                            handed.add(pair[0]);
                            peers.add(pair[1]);
                            try {
                                futures.add(r.next().register(pair[0], new Echo()));
                            } catch (RejectedExecutionException e) {
                                refusedAtCall.incrementAndGet();
                            }
                        }
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                }));
            }
            go.countDown();
            Thread.sleep(ThreadLocalRandom.current().nextInt(0, 4));
            r.shutdown(Duration.ZERO);
            for (Thread t : threads) t.join();
            assertTrue(r.awaitTermination(Duration.ofSeconds(10)));
            for (CompletableFuture<Connection> f : futures) {
                assertTrue(f.isDone(), "a registration future never completed");
            }
            for (UnixStream s : handed) assertFalse(s.isOpen(), "socket left open: " + s);
            for (UnixStream p : peers) p.close();
            assertEquals(300, handed.size());
        });
    }

    @Test
    void tasksSubmittedAfterShutdownAreRejectedWithAClearMessage() throws Exception {
        Reactor r = Net.small().build();
        r.close();
        RejectedExecutionException e = assertThrows(RejectedExecutionException.class,
                () -> r.loops().get(0).execute(() -> {}));
        assertTrue(e.getMessage().contains("terminated"), e.getMessage());
        assertThrows(RejectedExecutionException.class,
                () -> r.loops().get(1).schedule(Duration.ofMillis(1), () -> {}));
    }

    /**
     * Many tasks from other threads while the loop sleeps cost few eventfd writes: one per sleep
     * at most. The writes are counted by the kernel (the eventfd sums them and the loop adds up
     * what it reads), not by the senders' own counter, which counts only what it is told to.
     */
    @Test
    void wakeupsAreCoalescedToAtMostOnePerSleep() throws Exception {
        try (Reactor r = Net.small().loops(1).build()) {
            EventLoop loop = r.loops().get(0);
            CountDownLatch done = new CountDownLatch(4 * 10_000);
            List<Thread> producers = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                producers.add(Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < 10_000; i++) loop.execute(done::countDown);
                }));
            }
            for (Thread p : producers) p.join();
            assertTrue(done.await(10, TimeUnit.SECONDS));
            LoopCounters c = loop.counters();
            for (int i = 0; i < 500 && c.wakeupsReceived() != c.wakeupsSent(); i++) {   // the last wake-up in flight
                Thread.sleep(10);
                c = loop.counters();
            }
            // Each eventfd write ends one sleep, and every wait but the one in progress is counted.
            assertTrue(c.wakeupsReceived() <= c.waits() + 1, "more eventfd writes than sleeps: " + c);
            assertEquals(c.wakeupsSent(), c.wakeupsReceived(), "writes counted by the senders and by the kernel differ: " + c);
        }
    }

    /**
     * listen and bindUdp wait until every loop has registered its part: on a loop thread that
     * wait is on the loop itself (or on a loop that may be waiting for this one). They must fail
     * at once with a clear exception; connect, which only returns a future, must work there.
     */
    @Test
    void listenAndBindUdpOnALoopThreadFailClearlyInsteadOfDeadlockingTheLoop() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            try (Reactor r = Net.small().build();
                 Listener server = r.listen(new InetSocketAddress("127.0.0.1", 0), Echo::new)) {
                InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
                for (EventLoop loop : r.loops()) {
                    Throwable listen = loop.submit(() -> failureOf(() -> r.listen(any, Echo::new).close()))
                            .get(5, TimeUnit.SECONDS);   // TimeoutException: the loop deadlocked
                    assertInstanceOf(IllegalStateException.class, listen, "listen on loop " + loop.index());
                    assertTrue(listen.getMessage().contains("loop thread"), listen.getMessage());
                    Throwable udp = loop.submit(() -> failureOf(() -> r.bindUdp(any, () -> (ep, d, from) -> {}).close()))
                            .get(5, TimeUnit.SECONDS);
                    assertInstanceOf(IllegalStateException.class, udp, "bindUdp on loop " + loop.index());
                    CompletableFuture<Connection> connected = loop.submit(
                            () -> r.connect(new InetSocketAddress("127.0.0.1", server.port()), new Echo()))
                            .get(5, TimeUnit.SECONDS);
                    Connection c = connected.get(5, TimeUnit.SECONDS);
                    c.loop().submit(() -> { c.close(); return null; }).get(5, TimeUnit.SECONDS);
                }
            }
        });
    }

    private interface Step {
        void run() throws Exception;
    }

    private static Throwable failureOf(Step step) {
        try {
            step.run();
            return null;
        } catch (Throwable t) {
            return t;
        }
    }
}
