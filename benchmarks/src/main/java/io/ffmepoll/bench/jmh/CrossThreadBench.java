package io.ffmepoll.bench.jmh;

import io.ffmepoll.reactor.EventLoop;
import io.ffmepoll.reactor.Reactor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.io.IOException;
import java.nio.channels.Selector;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Tasks handed to an event loop from another thread: {@code batch} tasks submitted back to
 * back, then the submitter waits (spinning) until the loop has run the last. The loop sleeps in
 * its wait between batches, so each batch costs at least one wake-up; how many more depends on
 * coalescing. ffm: {@link EventLoop#execute}. nio: the usual Selector loop with a concurrent task
 * queue, {@code Selector.wakeup()} after each offer, tasks run after {@code select()} returns.
 * Results are per batch.
 */
@State(Scope.Benchmark)
public class CrossThreadBench extends BenchBase {

    @Param({"1", "64"})
    public int batch;

    private final AtomicLong done = new AtomicLong();
    private long expected;
    private final Runnable task = done::incrementAndGet;

    private Reactor reactor;
    private EventLoop loop;

    private Selector selector;
    private final ConcurrentLinkedQueue<Runnable> nioTasks = new ConcurrentLinkedQueue<>();
    private volatile boolean nioRunning;
    private Thread nioLoop;

    @Setup(Level.Trial)
    public void open() throws IOException {
        reactor = Reactor.builder().loops(1).build();
        loop = reactor.loops().get(0);
        selector = Selector.open();
        nioRunning = true;
        nioLoop = Thread.ofPlatform().name("nio-loop").start(this::nioLoop);
    }

    private void nioLoop() {
        try {
            while (nioRunning) {
                selector.select();
                for (Runnable r; (r = nioTasks.poll()) != null; ) r.run();
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @TearDown(Level.Trial)
    public void close() throws Exception {
        reactor.close();
        nioRunning = false;
        selector.wakeup();
        nioLoop.join(5_000);
        selector.close();
    }

    private long await() {
        long target = expected += batch;
        while (done.get() < target) Thread.onSpinWait();
        return target;
    }

    @Benchmark
    public long ffmExecute() {
        for (int i = 0; i < batch; i++) loop.execute(task);
        return await();
    }

    @Benchmark
    public long nioQueueAndWakeup() {
        for (int i = 0; i < batch; i++) {
            nioTasks.add(task);
            selector.wakeup();
        }
        return await();
    }
}
