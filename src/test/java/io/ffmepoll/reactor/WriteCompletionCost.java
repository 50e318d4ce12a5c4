package io.ffmepoll.reactor;

import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a write's completion future costs, next to a plain write: time and bytes allocated per
 * write, on the loop thread and from another thread, with a client draining everything.
 * Not a test (no assertion, timing depends on the machine): run it with
 * {@code java --enable-native-access=ALL-UNNAMED -cp target/classes:target/test-classes
 * io.ffmepoll.reactor.WriteCompletionCost}.
 */
public final class WriteCompletionCost {

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static final int BATCH = 1000, BATCHES = 300, SIZE = 64;

    public static void main(String[] args) throws Exception {
        CompletableFuture<Connection> opened = new CompletableFuture<>();
        try (Reactor r = Reactor.builder().loops(1).maxQueuedBytes(256L << 20).build();
             Listener l = r.listen(new InetSocketAddress("127.0.0.1", 0), () -> new Handler() {
                 public void onOpen(Connection c) {
                     opened.complete(c);
                 }

                 public void onRead(Connection c, java.lang.foreign.MemorySegment data) {}
             });
             Socket s = new Socket("127.0.0.1", l.port())) {
            Connection c = opened.get();
            AtomicLong received = new AtomicLong();
            Thread drain = Thread.ofPlatform().daemon().start(() -> {
                byte[] b = new byte[1 << 16];
                try (InputStream in = s.getInputStream()) {
                    int n;
                    while ((n = in.read(b)) > 0) received.addAndGet(n);
                } catch (Exception ignored) {
                    // closed at the end
                }
            });
            // Native, like the read buffer a handler echoes: a plain write of it allocates nothing.
            java.lang.foreign.MemorySegment data = java.lang.foreign.Arena.global().allocate(SIZE);
            for (int round = 0; round < 5; round++) {
                boolean last = round == 4;
                report(last, "loop thread, write         ", onLoop(c, data, false, received));
                report(last, "loop thread, writeAndNotify", onLoop(c, data, true, received));
                report(last, "other thread, write         ", offLoop(c, data, false, received));
                report(last, "other thread, writeAndNotify", offLoop(c, data, true, received));
            }
            s.close();
            drain.join(1000);
        }
    }

    private static void report(boolean print, String what, double[] nsAndBytes) {
        if (print) System.out.printf("%s: %7.1f ns/write, %6.1f bytes allocated/write (by the writing thread)%n",
                what, nsAndBytes[0], nsAndBytes[1]);
    }

    /** Writes in loop tasks of BATCH writes; ns and loop-thread bytes per write, until all is received. */
    private static double[] onLoop(Connection c, java.lang.foreign.MemorySegment data, boolean notify, AtomicLong received) throws Exception {
        long loopThread = c.loop().submit(() -> Thread.currentThread().threadId()).get();
        long target = received.get() + (long) BATCH * BATCHES * SIZE;
        long a0 = THREADS.getThreadAllocatedBytes(loopThread);
        long t0 = System.nanoTime();
        CompletableFuture<Void> last = null;
        for (int b = 0; b < BATCHES; b++) {
            last = c.loop().submit(() -> {
                for (int i = 0; i < BATCH; i++) {
                    if (notify) c.writeAndNotify(data);
                    else c.write(data);
                }
                return null;
            }).thenApply(x -> null);
        }
        last.get();
        while (received.get() < target) Thread.onSpinWait();
        long t1 = System.nanoTime();
        long a1 = THREADS.getThreadAllocatedBytes(loopThread);
        double n = (double) BATCH * BATCHES;
        // The submit tasks allocate a few objects each: subtract nothing, they are shared by BATCH writes.
        return new double[] {(t1 - t0) / n, (a1 - a0) / n};
    }

    /** Writes from this thread; ns per write until everything is received, and this thread's bytes per write. */
    private static double[] offLoop(Connection c, java.lang.foreign.MemorySegment data, boolean notify, AtomicLong received) {
        long me = Thread.currentThread().threadId();
        long target = received.get() + (long) BATCH * BATCHES * SIZE;
        long a0 = THREADS.getThreadAllocatedBytes(me);
        long t0 = System.nanoTime();
        for (int i = 0; i < BATCH * BATCHES; i++) {
            for (;;) {
                try {
                    if (notify) c.writeAndNotify(data);
                    else c.write(data);
                    break;
                } catch (IllegalStateException full) {
                    Thread.onSpinWait();   // over maxQueuedBytes: let the loop catch up
                }
            }
        }
        long a1 = THREADS.getThreadAllocatedBytes(me);
        while (received.get() < target) Thread.onSpinWait();
        long t1 = System.nanoTime();
        double n = (double) BATCH * BATCHES;
        return new double[] {(t1 - t0) / n, (a1 - a0) / n};
    }
}
