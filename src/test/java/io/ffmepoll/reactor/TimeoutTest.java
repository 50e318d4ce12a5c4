package io.ffmepoll.reactor;

import io.ffmepoll.epoll.Epoll;
import io.ffmepoll.socket.UnixStream;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TimeoutTest {

    /**
     * A 300 µs timeout fires after its deadline, never before, and not a rounded-up
     * millisecond later: the median lateness stays under the 700 µs that rounding 300 µs up
     * to 1 ms would add to every run.
     */
    @Test
    void subMillisecondTimeoutsFireOnTimeNotEarlyNorRoundedToAMillisecond() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            try (Reactor r = Net.small().loops(1).build()) {
                EventLoop loop = r.loops().get(0);
                int n = 60;
                long[] lateness = new long[n];
                for (int i = 0; i < n; i++) {
                    CompletableFuture<Long> fired = new CompletableFuture<>();
                    long deadline = loop.submit(() -> {
                        long d = System.nanoTime() + 300_000;
                        loop.scheduleAt(d, () -> fired.complete(System.nanoTime()));
                        return d;
                    }).get();
                    lateness[i] = fired.get(5, TimeUnit.SECONDS) - deadline;
                    assertTrue(lateness[i] >= 0, "fired " + (-lateness[i]) + " ns early");
                }
                Arrays.sort(lateness);
                // Rounding 300 µs up to a millisecond makes every run at least 700 µs late, so
                // even the better runs show it; a busy machine only adds lateness, to some runs.
                long tenth = lateness[n / 10];
                if (Epoll.hasPwait2()) {
                    assertTrue(tenth < 650_000, "10th-percentile lateness " + tenth + " ns: rounded to milliseconds?");
                } else {
                    assertTrue(tenth < 2_000_000, "10th-percentile lateness " + tenth + " ns");
                }
            }
        });
    }

    @Test
    void timeoutsRunInDeadlineOrderAndCancelledOnesNever() {
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            try (Reactor r = Net.small().loops(1).build()) {
                EventLoop loop = r.loops().get(0);
                List<Integer> order = new CopyOnWriteArrayList<>();
                CountDownLatch done = new CountDownLatch(3);
                AtomicBoolean cancelledRan = new AtomicBoolean();
                // Scheduled together in one loop task: the loop cannot run a timer between two
                // of these calls however late this thread is, so the order depends on deadlines only.
                CompletableFuture<Timeout> scheduled = new CompletableFuture<>();
                CompletableFuture<List<Boolean>> cancels = new CompletableFuture<>();
                loop.execute(() -> {
                    long base = System.nanoTime() + 20_000_000;
                    loop.scheduleAt(base + 30_000_000, () -> { order.add(3); done.countDown(); });
                    loop.scheduleAt(base + 10_000_000, () -> { order.add(1); done.countDown(); });
                    Timeout c = loop.scheduleAt(base + 15_000_000, () -> cancelledRan.set(true));
                    loop.scheduleAt(base + 20_000_000, () -> { order.add(2); done.countDown(); });
                    boolean first = c.cancel();
                    boolean second = c.cancel();
                    cancels.complete(List.of(first, second));
                    scheduled.complete(c);
                });
                Timeout cancelled = scheduled.get(5, TimeUnit.SECONDS);
                assertEquals(List.of(true, false), cancels.get(), "first cancel, second cancel");
                assertTrue(done.await(5, TimeUnit.SECONDS));
                Thread.sleep(20);
                assertEquals(List.of(1, 2, 3), order);
                assertFalse(cancelledRan.get(), "a cancelled timeout ran");
                assertTrue(cancelled.isCancelled());
            }
        });
    }

    /**
     * An idle connection is closed with a TimeoutException, counted from its last activity:
     * input that arrives well into the idle period restarts the clock.
     */
    @Test
    void idleConnectionsAreClosedWithATimeoutCauseCountedFromTheLastActivity() {
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            CompletableFuture<Throwable> cause = new CompletableFuture<>();
            CompletableFuture<Long> openedAt = new CompletableFuture<>();
            try (Reactor r = Net.small().idleTimeout(Duration.ofMillis(500)).build();
                 Listener l = r.listen(new java.net.InetSocketAddress("127.0.0.1", 0), () -> new Echo() {
                     @Override
                     public void onOpen(Connection c) {
                         openedAt.complete(System.nanoTime());
                     }

                     @Override
                     public void onClose(Connection c, Throwable t) {
                         cause.complete(t);
                     }
                 });
                 java.net.Socket s = Net.connect(l.port())) {
                // Half the idle period passes before the activity: a clock that is not
                // restarted closes the connection 250 ms after it, not 500.
                long wait = openedAt.get(5, TimeUnit.SECONDS) + 250_000_000 - System.nanoTime();
                if (wait > 0) Thread.sleep(wait / 1_000_000);
                long t0 = System.nanoTime();
                s.getOutputStream().write(1);
                assertEquals(1, s.getInputStream().read(), "closed before the activity");
                assertEquals(-1, s.getInputStream().read(), "idle connection not closed");
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(ms >= 500, "closed " + ms + " ms after the last activity: the idle clock was not restarted");
                assertTrue(cause.get(5, TimeUnit.SECONDS) instanceof java.util.concurrent.TimeoutException);
            }
        });
    }

    /**
     * A closed connection's idle timer is cancelled, and cancelled timers must leave the heap
     * even on a loop that never sleeps: otherwise every closed connection stays reachable
     * through its timer for the whole idle timeout.
     */
    @Test
    void cancelledTimersArePurgedOnALoopThatAlwaysHasWork() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            AtomicBoolean stop = new AtomicBoolean();
            try (Reactor r = Net.small().loops(1).idleTimeout(Duration.ofSeconds(60)).linger(Duration.ZERO).build()) {
                EventLoop loop = r.loops().get(0);
                AtomicLong spins = new AtomicLong();
                loop.execute(new Runnable() {   // work at every iteration: the loop never waits
                    @Override
                    public void run() {
                        spins.incrementAndGet();
                        if (!stop.get()) loop.execute(this);
                    }
                });
                List<WeakReference<Connection>> closed = new CopyOnWriteArrayList<>();
                Handler closeAtOnce = new Handler() {
                    @Override
                    public void onOpen(Connection c) {
                        closed.add(new WeakReference<>(c));
                        c.close();
                    }

                    @Override
                    public void onRead(Connection c, MemorySegment data) {}
                };
                for (int i = 0; i < 3000; i++) {
                    UnixStream[] pair = UnixStream.pair();
                    try {
                        // fails with "closed before it was open": the handler closed it in onOpen
                        loop.register(pair[0], closeAtOnce).handle((c, e) -> null).get(5, TimeUnit.SECONDS);
                    } finally {
                        pair[1].close();
                    }
                }
                assertEquals(3000, closed.size(), "connections opened");
                assertEquals(0, loop.counters().connections(), "connections still open");
                long before = spins.get();
                long alive = closed.size();
                for (int i = 0; i < 50 && alive > 100; i++) {
                    System.gc();
                    Thread.sleep(20);
                    alive = closed.stream().filter(w -> w.get() != null).count();
                }
                assertTrue(spins.get() > before, "the loop was not kept busy");
                assertTrue(alive <= 100, alive + " of 3000 closed connections still reachable (through their timers)");
            } finally {
                stop.set(true);
            }
        });
    }
}
