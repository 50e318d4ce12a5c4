package io.ffmepoll.shared;

import io.ffmepoll.internal.sys.Durations;
import io.ffmepoll.epoll.Epoll;
import io.ffmepoll.epoll.Errors;
import io.ffmepoll.epoll.EventArray;
import io.ffmepoll.epoll.EventFd;
import io.ffmepoll.epoll.Interest;
import io.ffmepoll.epoll.NativeIOException;
import io.ffmepoll.epoll.TimerFd;
import io.ffmepoll.socket.Option;
import io.ffmepoll.socket.StreamListener;
import io.ffmepoll.socket.StreamSocket;
import io.ffmepoll.socket.TcpListener;
import io.ffmepoll.socket.TcpStream;
import io.ffmepoll.socket.UnixListener;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * A server whose worker threads share one epoll instance: the other way to use epoll beside the
 * {@linkplain io.ffmepoll.reactor one loop per thread} of the reactor. Handlers may block or
 * compute for long (a JDBC call, a CPU-heavy request): only their own connection waits, while
 * the other workers serve the others. The per-loop reactor cannot offer that, since a handler
 * there holds up every connection of its loop.
 * <h2>How it works</h2>
 * <ul>
 * <li>Each worker waits in {@code epoll_wait} on the one shared instance for <em>one</em> event
 *     at a time: a worker that took a batch would make the rest of the batch wait behind a slow
 *     handler.</li>
 * <li>Connections are registered with {@code EPOLLONESHOT} (see {@link SharedConnection}): one
 *     worker gets an event, the connection is disabled until that worker re-arms it with
 *     {@code EPOLL_CTL_MOD} after reading to {@code EAGAIN}. That is one {@code epoll_ctl} per
 *     handled event, the price of the model ({@link SharedCounters#rearms()} counts them); the
 *     reactor's edge-triggered registrations need none.</li>
 * <li>Listeners are registered {@code EPOLLIN | EPOLLET | EPOLLEXCLUSIVE}. Within one epoll
 *     instance a wake-up already goes to one waiting thread; {@code EXCLUSIVE} keeps it so when
 *     the same listening socket is also watched by another epoll instance (a second server, a
 *     forked process), instead of waking every instance. {@code EXCLUSIVE} cannot be combined
 *     with {@code ONESHOT}, so the listener is edge-triggered instead: the worker that gets the
 *     edge accepts until {@code EAGAIN}; a connection arriving meanwhile raises a new edge that
 *     may wake a second worker, which accepts beside it ({@code accept4} is thread-safe), so no
 *     connection waits for the first worker to finish. The accepting worker runs no user code:
 *     a new connection is first armed for {@code OUT}, which a fresh socket reports at once, and
 *     the worker that gets that event calls {@link SharedHandler#onOpen}. When out of
 *     descriptors ({@code EMFILE}), accepting pauses 100 ms on a timerfd, since the connection
 *     left queued raises no new edge.</li>
 * </ul>
 * <h2>Shutdown</h2>
 * {@link #shutdown(Duration)} stops accepting, asks every connection to close after flushing
 * (a connection whose handler is running closes when the handler returns), and when the grace
 * period ends closes whatever is still open. The workers end once every connection is closed.
 * Every descriptor the server opened (epoll, eventfd, timerfds, listeners, connections) is
 * closed exactly once by then.
 * <h2>Threads</h2>
 * Every public method may be called from any thread.
 * {@snippet :
 * try (SharedServer server = SharedServer.builder().workers(16).build()) {
 *     SocketAddress bound = server.listen(new InetSocketAddress("127.0.0.1", 0), () -> (c, data) -> {
 *         slowLookUp();                       // blocks this worker only
 *         c.write(data);                      // echo
 *     });
 *     // ... serve until done; close() shuts down gracefully
 * }
 * }
 */
public final class SharedServer implements AutoCloseable {

    private static final System.Logger LOGGER = System.getLogger("io.ffmepoll.shared");
    private static final long STOP = -1, ACCEPT_RETRY = -2, DEADLINE = -3, FIRST_LISTENER = -4;
    private static final Interest LISTENER_INTEREST = Interest.of(Interest.IN, Interest.ET, Interest.EXCLUSIVE);
    private static final long ACCEPT_BACKOFF_NANOS = 100_000_000L;

    final int readBudget;
    final long highWatermark;
    final long lowWatermark;
    final long maxQueuedBytes;
    private final int readBufferSize;
    private final boolean tcpNoDelay;
    private final int backlog;
    private final Duration closeGrace;

    private final Epoll epoll;
    private final EventFd stop;
    private final TimerFd acceptRetry;
    private final TimerFd deadline;
    private final ConnectionTable table = new ConnectionTable();
    private final List<Bound> listeners = new CopyOnWriteArrayList<>();
    private final Thread[] workers;
    private final AtomicInteger running;
    private final CountDownLatch terminated = new CountDownLatch(1);
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final AtomicBoolean stopped = new AtomicBoolean();
    private volatile boolean shuttingDown;
    /** Test seam: run before each re-arm, after the connection was handed back; null in production. */
    volatile Runnable beforeRearm;
    /** Test seam: run when a close from another thread has taken over an idle connection; null in production. */
    volatile Runnable afterCloseTakesOver;

    private final LongAdder accepted = new LongAdder(), events = new LongAdder(), rearms = new LongAdder(),
            stale = new LongAdder(), closedCount = new LongAdder();

    /** A listening socket and the handlers of its connections. */
    private record Bound(StreamListener socket, Supplier<? extends SharedHandler> handlers, long token) {}

    private SharedServer(Builder b) throws NativeIOException {
        readBudget = b.readBudget;
        highWatermark = b.highWatermark;
        lowWatermark = b.lowWatermark;
        maxQueuedBytes = b.maxQueuedBytes;
        readBufferSize = b.readBufferSize;
        tcpNoDelay = b.tcpNoDelay;
        backlog = b.backlog;
        closeGrace = b.closeGrace;
        Epoll e = null;
        EventFd s = null;
        TimerFd r = null, d = null;
        try {
            e = Epoll.open();
            s = EventFd.open();
            r = TimerFd.open();
            d = TimerFd.open();
            // Level-triggered on purpose: once signalled it stays ready, so every worker sees it.
            e.add(s, Interest.IN, STOP);
            e.add(r, Interest.of(Interest.IN, Interest.ET), ACCEPT_RETRY);
            e.add(d, Interest.of(Interest.IN, Interest.ONESHOT), DEADLINE);
        } catch (NativeIOException | RuntimeException ex) {
            for (AutoCloseable c : new AutoCloseable[] {d, r, s, e}) {
                try {
                    if (c != null) c.close();
                } catch (Exception ignored) {
                    // Descriptor.close throws nothing
                }
            }
            throw ex;
        }
        epoll = e;
        stop = s;
        acceptRetry = r;
        deadline = d;
        workers = new Thread[b.workers];
        running = new AtomicInteger(b.workers);
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Thread(this::work, b.threadName + "-" + i);
            workers[i].start();
        }
    }

    /**
     * A builder with the defaults: 4 workers, 64 KiB reads, watermarks 64 KiB / 16 KiB, 16 MiB
     * queue bound. Any thread.
     * @return a new builder; each call returns a fresh one
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Binds and listens on {@code local} (an {@link InetSocketAddress} for TCP, with
     * {@code SO_REUSEADDR}; a {@link UnixDomainSocketAddress} for a Unix-domain socket); each
     * accepted connection gets a handler from {@code handlers}, called on a worker thread.
     * Any thread.
     * @param local where to listen: a resolved {@link InetSocketAddress} (port 0 lets the kernel
     *        choose) or a {@link UnixDomainSocketAddress}
     * @param handlers called once per accepted connection, on a worker thread, for that
     *        connection's own handler; it must not return null
     * @return the bound address (with the port the kernel chose for port 0)
     * @throws IOException if binding or registering fails (EADDRINUSE, EACCES, ...); the
     *         listener is then closed
     * @throws IllegalArgumentException for an address that is neither TCP nor Unix-domain
     * @throws IllegalStateException after {@link #shutdown}
     */
    public SocketAddress listen(SocketAddress local, Supplier<? extends SharedHandler> handlers) throws IOException {
        Objects.requireNonNull(handlers, "handlers");
        if (shuttingDown) throw new IllegalStateException("server is shut down");
        StreamListener l = switch (local) {
            case InetSocketAddress inet -> TcpListener.bind(inet, backlog);
            case UnixDomainSocketAddress unix -> UnixListener.bind(unix, backlog);
            default -> throw new IllegalArgumentException("not a TCP or Unix-domain address: " + local);
        };
        try {
            Bound bound;
            synchronized (listeners) {
                bound = new Bound(l, handlers, FIRST_LISTENER - listeners.size());
                listeners.add(bound);
            }
            epoll.add(l, LISTENER_INTEREST, bound.token);
            if (shuttingDown) l.close();
            return l.localAddress();
        } catch (IOException | RuntimeException e) {
            l.close();
            throw e;
        }
    }

    /**
     * Begins a graceful shutdown, returns at once: no more accepts; every connection closes once
     * its queued output is flushed (one whose handler is running, when the handler returns);
     * whatever is still open after {@code grace} is closed with a
     * {@link java.util.concurrent.CancellationException}. Idle connections are closed on the
     * calling thread. Idempotent (the first grace counts), any thread.
     * @param grace how long connections may take to flush and close before they are closed
     *        forcibly; {@link Duration#ZERO} closes what is not idle almost at once
     * @throws IllegalArgumentException if {@code grace} is negative
     */
    public void shutdown(Duration grace) {
        if (grace.isNegative()) throw new IllegalArgumentException("negative grace: " + grace);
        synchronized (listeners) {
            if (shuttingDown) return;
            shuttingDown = true;
        }
        for (Bound b : listeners) b.socket.close();   // close(2) also takes it out of the epoll set
        try {
            deadline.scheduleAt(System.nanoTime() + Math.max(1, Durations.saturatedNanos(grace)));
        } catch (NativeIOException | IllegalStateException e) {
            log(System.Logger.Level.WARNING, "could not arm the shutdown deadline; closing now", e);
            abortAll();
        }
        for (SharedConnection c : table.snapshot()) c.close();
        if (table.size() == 0) stopWorkers();
    }

    /**
     * Waits until the workers have ended and every descriptor is closed. Any thread.
     * @param timeout the longest to wait; {@code ChronoUnit.FOREVER.getDuration()} waits as long as it takes
     * @return true once terminated, false if {@code timeout} passed first
     * @throws InterruptedException if the calling thread is interrupted while waiting
     */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        return terminated.await(Durations.saturatedNanos(timeout), TimeUnit.NANOSECONDS);
    }

    /**
     * {@link #shutdown(Duration)} with the builder's {@code closeGrace}, then waits for
     * termination (at most the grace plus 5 s; a handler that does not return keeps its
     * worker). Any thread.
     */
    @Override
    public void close() {
        shutdown(closeGrace);
        try {
            if (!awaitTermination(Duration.ofNanos(Durations.saturatedNanos(closeGrace) + TimeUnit.SECONDS.toNanos(5)))) {
                log(System.Logger.Level.WARNING, "workers still running 5 s after the shutdown grace period", null);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A snapshot of the counters; any thread. Each is read on its own, so while connections are
     * busy the set is not one instant's.
     * @return the counters so far
     */
    public SharedCounters counters() {
        return new SharedCounters(workers.length, accepted.sum(), table.size(), events.sum(), rearms.sum(),
                stale.sum(), closedCount.sum());
    }

    // ---- workers

    private void work() {
        try (Arena arena = Arena.ofConfined(); EventArray one = EventArray.allocate(1)) {
            MemorySegment buffer = arena.allocate(readBufferSize);
            for (;;) {
                long token;
                int ready;
                try {
                    if (epoll.wait(one, -1) == 0) continue;   // EINTR
                    token = one.token(0);
                    ready = one.events(0);
                } catch (NativeIOException e) {
                    log(System.Logger.Level.ERROR, "epoll_wait failed; worker ends", e);
                    return;
                }
                if (token == STOP) return;
                try {
                    dispatch(token, ready, buffer);
                } catch (Throwable t) {
                    log(System.Logger.Level.ERROR, "worker caught an unexpected exception; carrying on", t);
                }
            }
        } finally {
            if (running.decrementAndGet() == 0) terminate();
        }
    }

    private void dispatch(long token, int ready, MemorySegment buffer) throws NativeIOException {
        if (token >= 0) {
            events.increment();
            SharedConnection c = table.get(token);
            if (c != null && c.tryAcquire()) {
                c.run(ready, buffer);
            } else {
                stale.increment();
            }
        } else if (token == ACCEPT_RETRY) {
            acceptRetry.read();
            for (Bound b : listeners) acceptAll(b);
        } else if (token == DEADLINE) {
            abortAll();
        } else {
            for (Bound b : listeners) if (b.token == token) acceptAll(b);
        }
    }

    /** Accepts until EAGAIN (the listener is edge-triggered). */
    private void acceptAll(Bound b) {
        while (!shuttingDown) {
            StreamSocket s;
            try {
                s = b.socket.accept();
            } catch (NativeIOException e) {
                if (e.errno() == Errors.ECONNABORTED) continue;
                // EMFILE, ENFILE, ENOBUFS...: the connection stays queued and no new edge will
                // come for it, so try again after a pause instead of waiting for one.
                log(System.Logger.Level.WARNING, "accept4 failed; retrying in 100 ms", e);
                try {
                    acceptRetry.schedule(Duration.ofNanos(ACCEPT_BACKOFF_NANOS), Duration.ZERO);
                } catch (NativeIOException | IllegalStateException ignored) {
                    // shutting down
                }
                return;
            } catch (IllegalStateException closed) {
                return;   // shut down meanwhile
            }
            if (s == null) return;
            open(s, b.handlers);
        }
    }

    /** Registers an accepted socket; the first event (OUT, at once) brings it to a worker for onOpen. */
    private void open(StreamSocket s, Supplier<? extends SharedHandler> handlers) {
        SharedConnection c;
        try {
            if (tcpNoDelay && s instanceof TcpStream) s.setOption(Option.TCP_NODELAY, true);
            c = new SharedConnection(this, s, Objects.requireNonNull(handlers.get(), "handler supplier returned null"));
        } catch (IOException | RuntimeException e) {
            s.close();
            log(System.Logger.Level.WARNING, "could not set up an accepted connection", e);
            return;
        }
        long token = table.add(c);
        accepted.increment();
        // Published in the table before the flag is read; shutdown sets the flag before taking
        // its snapshot: one of the two sees the other, so no connection escapes the shutdown.
        if (shuttingDown) {
            c.close();
            return;
        }
        try {
            epoll.add(s, SharedConnection.FIRST_INTEREST, token);
        } catch (NativeIOException e) {
            if (c.tryAcquire()) c.closeNow(e);
        } catch (IllegalStateException closedMeanwhile) {
            // closed by a shutdown between the check and the add
        }
    }

    /** Re-arms a connection after a run; the connection has been handed back already. */
    void rearm(SharedConnection c, int interest) {
        Runnable hook = beforeRearm;
        if (hook != null) hook.run();
        try {
            rearms.increment();
            epoll.modify(c.socket(), Interest.ofBits(interest), c.token);
        } catch (IllegalStateException closedMeanwhile) {
            // aborted by a shutdown since it was handed back: nothing to arm
        } catch (NativeIOException e) {
            // Not armed, so no event would ever come: close it, unless another thread took it.
            if (c.tryAcquire()) c.closeNow(e);
        }
    }

    /** Called by a connection as it closes (on the thread that runs it). */
    void closed(SharedConnection c) {
        table.remove(c);
        closedCount.increment();
        if (shuttingDown && table.size() == 0) stopWorkers();
    }

    private void abortAll() {
        for (SharedConnection c : table.snapshot()) c.abort();
        // Connections whose handler is still running close when it returns; the workers end
        // after that, once the table is empty, or now if it already is.
        if (table.size() == 0) stopWorkers();
    }

    private void stopWorkers() {
        if (!stopping.compareAndSet(false, true)) return;
        try {
            stop.signal(1);
        } catch (NativeIOException e) {
            log(System.Logger.Level.ERROR, "could not signal the workers to stop", e);
        }
    }

    /** The last worker out closes the shared descriptors. */
    private void terminate() {
        if (!stopped.compareAndSet(false, true)) return;
        for (Bound b : listeners) b.socket.close();
        for (SharedConnection c : table.snapshot()) c.abort();   // only if a worker died unexpectedly
        deadline.close();
        acceptRetry.close();
        stop.close();
        epoll.close();
        terminated.countDown();
    }

    static void log(System.Logger.Level level, String message, Throwable thrown) {
        if (LOGGER.isLoggable(level)) LOGGER.log(level, message, thrown);
    }

    /**
     * Settings of a {@link SharedServer}. Not thread-safe: one thread builds.
     * {@snippet :
     * SharedServer server = SharedServer.builder().workers(32).highWatermark(256 * 1024).build();
     * }
     */
    public static final class Builder {
        private int workers = 4;
        private int readBufferSize = 64 * 1024;
        private int readBudget = 256 * 1024;
        private long highWatermark = 64 * 1024;
        private long lowWatermark = 16 * 1024;
        private long maxQueuedBytes = 16L << 20;
        private boolean tcpNoDelay = true;
        private int backlog = StreamListener.MAX_BACKLOG;
        private Duration closeGrace = Duration.ofSeconds(5);
        private String threadName = "ffm-shared";

        private Builder() {}

        /**
         * Worker threads sharing the epoll instance: as many as handlers may block at once,
         * plus the cores.
         * @param n the number of workers, 1 to 4096 (default 4)
         * @return this builder
         * @throws IllegalArgumentException if {@code n} is out of range
         */
        public Builder workers(int n) {
            if (n < 1 || n > 4096) throw new IllegalArgumentException("workers must be 1..4096: " + n);
            workers = n;
            return this;
        }

        /**
         * Bytes one read may return: each worker's read buffer, allocated once per worker.
         * @param bytes the buffer size, at least 256 (default 64 KiB)
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is below 256
         */
        public Builder readBufferSize(int bytes) {
            if (bytes < 256) throw new IllegalArgumentException("read buffer below 256 bytes: " + bytes);
            readBufferSize = bytes;
            return this;
        }

        /**
         * Bytes one connection may read per run before it is re-armed and others get a turn,
         * so that one busy connection cannot hold a worker forever.
         * @param bytes the budget, at least 1 (default 256 KiB)
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is not positive
         */
        public Builder readBudget(int bytes) {
            if (bytes < 1) throw new IllegalArgumentException("read budget must be positive: " + bytes);
            readBudget = bytes;
            return this;
        }

        /**
         * Queued output above which a connection stops reading.
         * @param bytes the high watermark (default 64 KiB); {@link #build()} checks it lies above
         *        the low watermark and at most at {@code maxQueuedBytes}
         * @return this builder
         */
        public Builder highWatermark(long bytes) {
            highWatermark = bytes;
            return this;
        }

        /**
         * Queued output at or below which a paused connection reads again.
         * @param bytes the low watermark (default 16 KiB; 0 resumes once the queue is empty);
         *        {@link #build()} checks it is not negative and below the high watermark
         * @return this builder
         */
        public Builder lowWatermark(long bytes) {
            lowWatermark = bytes;
            return this;
        }

        /**
         * Queued output a write may not exceed: the hard bound on a connection's memory. A write
         * past it closes the connection.
         * @param bytes the bound (default 16 MiB); {@link #build()} checks it is at least the
         *        high watermark
         * @return this builder
         */
        public Builder maxQueuedBytes(long bytes) {
            maxQueuedBytes = bytes;
            return this;
        }

        /**
         * Whether accepted TCP connections get {@code TCP_NODELAY}.
         * @param on true (the default) to disable Nagle's algorithm on every accepted TCP
         *        connection, false to leave the kernel's default
         * @return this builder
         */
        public Builder tcpNoDelay(boolean on) {
            tcpNoDelay = on;
            return this;
        }

        /**
         * The listen backlog of every {@link SharedServer#listen listener}.
         * @param n the accept queue length, positive (default {@link StreamListener#MAX_BACKLOG}:
         *        the kernel's limit, {@code net.core.somaxconn})
         * @return this builder
         * @throws IllegalArgumentException if {@code n} is not positive
         */
        public Builder backlog(int n) {
            if (n < 1) throw new IllegalArgumentException("backlog must be positive: " + n);
            backlog = n;
            return this;
        }

        /**
         * The grace period {@link SharedServer#close()} gives connections.
         * @param grace how long connections may take to flush and close (default 5 s)
         * @return this builder
         * @throws IllegalArgumentException if {@code grace} is negative
         */
        public Builder closeGrace(Duration grace) {
            if (grace.isNegative()) throw new IllegalArgumentException("negative grace: " + grace);
            closeGrace = grace;
            return this;
        }

        /**
         * Worker thread-name prefix; workers are named prefix-0, prefix-1, ...
         * @param prefix the prefix (default {@code ffm-shared})
         * @return this builder
         */
        public Builder threadName(String prefix) {
            threadName = Objects.requireNonNull(prefix);
            return this;
        }

        /**
         * Opens the epoll instance and starts the workers.
         * @return the running server, with no listener yet (see {@link SharedServer#listen})
         * @throws IllegalArgumentException unless {@code 0 <= lowWatermark < highWatermark <= maxQueuedBytes}
         * @throws NativeIOException if a descriptor cannot be opened (nothing is left open then)
         */
        public SharedServer build() throws NativeIOException {
            if (lowWatermark < 0 || highWatermark <= lowWatermark || maxQueuedBytes < highWatermark) {
                throw new IllegalArgumentException("need 0 <= lowWatermark < highWatermark <= maxQueuedBytes: "
                        + lowWatermark + ", " + highWatermark + ", " + maxQueuedBytes);
            }
            return new SharedServer(this);
        }
    }
}
