package io.ffmepoll.epoll;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs the {@code close(2)} of descriptors whose close may block, on daemon threads of its
 * own, so that no caller (an event loop above all) ever waits in it.
 * <p>The case: a socket with {@code SO_LINGER} on and a positive time blocks in {@code close(2)}
 * until its unsent data is acknowledged or the time runs out, non-blocking or not (Linux's
 * {@code inet_release} passes the linger time to the protocol's close). The descriptor counts
 * as closed the moment {@link Descriptor#close()} is called; only the release of its number
 * waits here, so the number cannot be reused while the kernel still lingers on it.
 * <p>Bounds: at most {@link #THREADS} threads, started on demand and ended after a few idle
 * seconds. Closes beyond that wait in the queue; each entry is a descriptor still open, so the
 * queue can never hold more entries than the process's descriptor limit.
 */
final class Closer {

    static final int THREADS = 8;
    private static final AtomicInteger COUNT = new AtomicInteger();
    private static final ThreadPoolExecutor EXECUTOR;

    static {
        EXECUTOR = new ThreadPoolExecutor(THREADS, THREADS, 5, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "ffm-epoll-closer-" + COUNT.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        EXECUTOR.allowCoreThreadTimeOut(true);
    }

    private Closer() {}

    /** Closes {@code d}'s fd (and runs its after-close step) on a closer thread. */
    static void close(Descriptor d) {
        EXECUTOR.execute(d::closeFd);
    }
}
