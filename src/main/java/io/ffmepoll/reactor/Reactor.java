package io.ffmepoll.reactor;

import io.ffmepoll.epoll.NativeIOException;
import io.ffmepoll.socket.Option;
import io.ffmepoll.socket.StreamListener;
import io.ffmepoll.socket.StreamSocket;
import io.ffmepoll.socket.TcpListener;
import io.ffmepoll.socket.TcpStream;
import io.ffmepoll.socket.UdpSocket;
import io.ffmepoll.socket.UnixListener;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A group of {@link EventLoop}s serving listeners, connections, datagram sockets and timeouts,
 * edge-triggered, with no {@code epoll_ctl} on the I/O path.
 * <p>Each connection lives on one loop. TCP listeners get one socket per loop bound with
 * {@code SO_REUSEPORT}, so the kernel spreads connections over the loops with no hand-off.
 * {@snippet :
 * try (Reactor reactor = Reactor.builder().loops(2).build()) {
 *     Listener l = reactor.listen(new InetSocketAddress("127.0.0.1", 8080), () -> new Handler() {
 *         public void onRead(Connection c, MemorySegment data) {
 *             c.write(data);                     // echo
 *         }
 *     });
 *     System.out.println("listening " + l.port());
 *     Thread.sleep(60_000);
 * }   // graceful: stop accepting, flush, close every descriptor, join the loops
 * }
 */
public final class Reactor implements AutoCloseable {

    private final Config config;
    private final List<EventLoop> loops;
    private final AtomicInteger next = new AtomicInteger();
    private final Duration closeGrace;
    /** Numbers the reactors of this JVM, for their loops' JMX names. */
    private static final AtomicInteger REACTORS = new AtomicInteger();

    private Reactor(Config config, Duration closeGrace, Boolean jmx) throws IOException {
        this.config = config;
        this.closeGrace = closeGrace;
        List<EventLoop> created = new ArrayList<>();
        try {
            for (int i = 0; i < config.loops(); i++) created.add(new EventLoop(this, i, config));
        } catch (NativeIOException | RuntimeException e) {
            for (EventLoop l : created) l.discard();
            throw e;
        }
        this.loops = List.copyOf(created);
        int id = REACTORS.getAndIncrement();
        if (LoopMXBean.MANAGEMENT && (jmx != null ? jmx : LoopMBeans.wanted())) {
            for (EventLoop l : loops) l.unregisterBean = LoopMBeans.register(l, id, l.threadName());
        }
        for (EventLoop l : loops) l.start();
    }

    /**
     * A builder with defaults: one loop per core, 64 KiB reads, 32/64 KiB watermarks.
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The loops, in index order.
     * @return an unmodifiable list of the loops
     */
    public List<EventLoop> loops() {
        return loops;
    }

    /**
     * A loop chosen round-robin, for new client connections and work.
     * @return the next loop in turn
     */
    public EventLoop next() {
        return loops.get(Math.floorMod(next.getAndIncrement(), loops.size()));
    }

    /**
     * Every loop's counters now, in index order.
     * @return one snapshot per loop
     */
    public List<LoopCounters> counters() {
        List<LoopCounters> out = new ArrayList<>(loops.size());
        for (EventLoop l : loops) out.add(l.counters());
        return out;
    }

    /**
     * Listens on a TCP address with one {@code SO_REUSEPORT} socket per loop; each accepted
     * connection gets a handler from {@code handlers} and stays on the loop that accepted it.
     * @param address where to listen; port 0 picks a free port (see {@link Listener#port()})
     * @param handlers makes one handler per accepted connection, called on the accepting loop
     * @return the listener, to learn the port and to stop listening
     * @throws NativeIOException EADDRINUSE and other bind failures; nothing stays open
     * @throws java.util.concurrent.RejectedExecutionException if the reactor is shutting down
     * @throws IllegalStateException on a loop thread (of any reactor): this call waits for every
     *         loop to register its socket, and a loop must never block, least of all on itself.
     *         From a handler, call it on another thread, e.g. {@code CompletableFuture.supplyAsync}
     */
    public Listener listen(InetSocketAddress address, Supplier<? extends Handler> handlers) throws IOException {
        Objects.requireNonNull(handlers, "handlers");
        refuseOnLoopThread("listen");
        List<TcpListener> sockets = new ArrayList<>();
        List<Acceptor> acceptors = new ArrayList<>();
        InetSocketAddress bound = address;
        try {
            for (int i = 0; i < loops.size(); i++) {
                TcpListener l = TcpListener.bind(bound, config.backlog(), true);
                sockets.add(l);
                if (i == 0) bound = l.localAddress();   // the others join the chosen port
            }
            for (int i = 0; i < loops.size(); i++) {
                Acceptor a = new Acceptor(loops.get(i), sockets.get(i), null, handlers);
                await(loops.get(i).submit(() -> {
                    a.start(false);
                    return null;
                }));
                acceptors.add(a);
            }
        } catch (IOException | RuntimeException e) {
            new Listener(bound, acceptors, null).close();
            for (TcpListener l : sockets) l.close();
            throw e;
        }
        return new Listener(bound, acceptors, null);
    }

    /**
     * Listens on a Unix-domain address ({@link java.net.UnixDomainSocketAddress}, or an
     * {@link io.ffmepoll.socket.AbstractName}) or, for an {@link InetSocketAddress}, as
     * {@link #listen(InetSocketAddress, Supplier)}. A Unix listener is one socket registered
     * with every loop with {@code EPOLLEXCLUSIVE}: the kernel wakes one loop per connection,
     * and that loop keeps it. The socket file is removed when the listener closes.
     * @param address a Unix socket address, an abstract name, or an {@link InetSocketAddress}
     * @param handlers makes one handler per accepted connection, called on the accepting loop
     * @return the listener; closing it stops accepting
     * @throws NativeIOException EADDRINUSE if the path exists, EACCES...
     * @throws IllegalStateException on a loop thread, as {@link #listen(InetSocketAddress, Supplier)}
     */
    public Listener listen(SocketAddress address, Supplier<? extends Handler> handlers) throws IOException {
        if (address instanceof InetSocketAddress inet) return listen(inet, handlers);
        Objects.requireNonNull(handlers, "handlers");
        refuseOnLoopThread("listen");
        UnixListener shared = UnixListener.bind(address, config.backlog());
        List<Acceptor> acceptors = new ArrayList<>();
        AtomicInteger sharers = new AtomicInteger(loops.size());
        try {
            for (EventLoop loop : loops) {
                Acceptor a = new Acceptor(loop, shared, sharers, handlers);
                await(loop.submit(() -> {
                    a.start(true);
                    return null;
                }));
                acceptors.add(a);
            }
        } catch (IOException | RuntimeException e) {
            new Listener(address, acceptors, shared).close();
            throw e;
        }
        return new Listener(address, acceptors, shared);
    }

    /**
     * Serves UDP on {@code address} with one {@code SO_REUSEPORT} socket per loop (the kernel
     * spreads senders over them by address hash), each with a handler from {@code handlers}.
     * @param address where to bind; port 0 picks a free port
     * @param handlers makes one handler per loop's endpoint
     * @return a handle whose {@link Listener#port()} is the bound port
     * @throws NativeIOException bind failures; nothing stays open
     * @throws java.util.concurrent.RejectedExecutionException if the reactor is shutting down
     * @throws IllegalStateException on a loop thread, as {@link #listen(InetSocketAddress, Supplier)}
     */
    public Listener bindUdp(InetSocketAddress address, Supplier<? extends DatagramHandler> handlers) throws IOException {
        Objects.requireNonNull(handlers, "handlers");
        refuseOnLoopThread("bindUdp");
        List<DatagramEndpoint> endpoints = new ArrayList<>();
        InetSocketAddress bound = address;
        try {
            for (EventLoop loop : loops) {
                UdpSocket s = UdpSocket.bind(bound, Option.SO_REUSEPORT.of(true));
                if (endpoints.isEmpty()) bound = s.localAddress();
                DatagramEndpoint e;
                try {
                    e = new DatagramEndpoint(loop, s, Objects.requireNonNull(handlers.get(), "handler"));
                } catch (RuntimeException ex) {
                    s.close();
                    throw ex;
                }
                await(loop.submit(() -> {
                    e.start();
                    return null;
                }));
                endpoints.add(e);
            }
        } catch (IOException | RuntimeException e) {
            new Listener(bound, endpoints, null).close();
            throw e;
        }
        return new Listener(bound, endpoints, null);
    }

    /**
     * Connects to a TCP address from a loop chosen round-robin; the future completes when the
     * connection is established (after {@link Handler#onOpen}) or fails (ECONNREFUSED...).
     * Callable from any thread, loop threads included: it never waits. On a loop thread,
     * compose on the future ({@code thenAccept}) rather than {@code join} it, which would block
     * the loop that has to complete it. Cancelling the future before it completes closes the
     * socket (see {@link EventLoop#register(StreamSocket, Handler)}).
     * {@snippet :
     * Connection c = reactor.connect(new InetSocketAddress("127.0.0.1", 8080), new Client()).join();
     * }
     * @param remote a resolved address
     * @param handler serves the connection
     * @return a future completed with the connection once established
     */
    public CompletableFuture<Connection> connect(InetSocketAddress remote, Handler handler) {
        return connector(remote).connect(handler);
    }

    /**
     * A TCP connect to {@code remote} with a timeout, socket options and a local address, set
     * on the returned {@link Connector} before it connects. Any thread.
     * {@snippet :
     * CompletableFuture<Connection> f = reactor.connector(new InetSocketAddress("127.0.0.1", 8080))
     *         .timeout(Duration.ofSeconds(2))                      // fails with SocketTimeoutException
     *         .localAddress(new InetSocketAddress("127.0.0.2", 0)) // bound before connecting
     *         .option(Option.SO_RCVBUF.of(1 << 20))                // set before connecting
     *         .connect(new Client());
     * f.cancel(false);   // before it completes: closes the socket, onOpen is never called
     * }
     * @param remote the address to connect to
     * @return the connect's settings, ready to {@link Connector#connect connect}
     */
    public Connector connector(InetSocketAddress remote) {
        return new Connector(remote);
    }

    /**
     * Settings of one TCP connect; see {@link Reactor#connector(InetSocketAddress)}. Not
     * thread-safe: set it up on one thread; {@link #connect} may be called several times.
     */
    public final class Connector {
        private final InetSocketAddress remote;
        private Duration timeout = Duration.ZERO;
        private InetSocketAddress local;
        private final List<Option.Value<?>> options = new ArrayList<>();
        private EventLoop loop;

        private Connector(InetSocketAddress remote) {
            this.remote = Objects.requireNonNull(remote, "remote");
        }

        /**
         * How long the connect may take (default {@link Duration#ZERO}: as long as the kernel
         * tries). When it runs out the socket is closed and the future fails with a
         * {@link java.net.SocketTimeoutException}.
         * @param timeout the longest the connect may take; {@link Duration#ZERO} for no limit
         * @return this connector
         * @throws IllegalArgumentException if negative
         */
        public Connector timeout(Duration timeout) {
            if (timeout.isNegative()) throw new IllegalArgumentException("negative connect timeout: " + timeout);
            this.timeout = timeout;
            return this;
        }

        /**
         * The address (port 0: an ephemeral port) to bind the socket to before connecting; default: the kernel's choice.
         * @param local the local address
         * @return this connector
         */
        public Connector localAddress(InetSocketAddress local) {
            this.local = Objects.requireNonNull(local, "local");
            return this;
        }

        /**
         * A socket option set before binding and connecting (buffer sizes must be, to shape
         * the window), after the reactor's {@code TCP_NODELAY} default, which it may override.
         * @param option the option and its value
         * @return this connector
         */
        public Connector option(Option.Value<?> option) {
            options.add(Objects.requireNonNull(option, "option"));
            return this;
        }

        /**
         * The loop to serve the connection (default: the reactor's next, round-robin).
         * @param loop one of this reactor's loops
         * @return this connector
         * @throws IllegalArgumentException if {@code loop} belongs to another reactor
         */
        public Connector loop(EventLoop loop) {
            if (loop.reactor() != Reactor.this) throw new IllegalArgumentException(loop + " is not one of this reactor's loops");
            this.loop = loop;
            return this;
        }

        /**
         * Starts connecting; the future completes when the connection is established (after
         * {@link Handler#onOpen}) or fails: the socket's own errors ({@code ECONNREFUSED}...) and
         * the option or bind failures as {@link NativeIOException}, the timeout as
         * {@link java.net.SocketTimeoutException}. Cancelling it before it completes closes the
         * socket. Any thread, loop threads included: it never waits (compose on the future there).
         * @param handler the new connection's handler
         * @return a future completed with the open connection, or failed with why it is not
         */
        public CompletableFuture<Connection> connect(Handler handler) {
            Objects.requireNonNull(handler, "handler");
            List<Option.Value<?>> all = new ArrayList<>(options.size() + 1);
            if (config.tcpNoDelay()) all.add(Option.TCP_NODELAY.of(true));
            all.addAll(options);
            TcpStream s;
            try {
                // Options and bind go through connect's set-up, which closes the socket if one fails.
                s = TcpStream.connect(remote, local, all.toArray(new Option.Value<?>[0]));
            } catch (IOException e) {
                return CompletableFuture.failedFuture(e);
            }
            EventLoop l = loop != null ? loop : next();
            return l.register(s, handler, Config.saturatedNanos(timeout));
        }
    }

    /**
     * Serves an open non-blocking socket on a loop chosen round-robin; as
     * {@link EventLoop#register(StreamSocket, Handler)}.
     * @param socket an open non-blocking socket; the reactor owns it from this call on
     * @param handler serves the connection
     * @return as {@link EventLoop#register(StreamSocket, Handler)}
     */
    public CompletableFuture<Connection> register(StreamSocket socket, Handler handler) {
        return next().register(socket, handler);
    }

    /**
     * listen and bindUdp register on every loop, which a shutdown refuses; and they wait for a
     * task on every loop. On a loop thread that wait deadlocks (its own task can never run) or
     * blocks a loop on another that may be waiting for it.
     */
    private void refuseOnLoopThread(String call) {
        for (EventLoop l : loops) {
            if (l.isShuttingDown()) {
                throw new java.util.concurrent.RejectedExecutionException(call + ": the reactor is shutting down");
            }
        }
        if (EventLoop.onLoopThread()) {
            throw new IllegalStateException(call + " waits for every event loop and cannot run on a loop thread ("
                    + Thread.currentThread().getName() + "); call it from another thread");
        }
    }

    static <T> T await(CompletableFuture<T> f) throws IOException {
        boolean interrupted = false;
        try {
            for (;;) {
                try {
                    return f.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    Throwable c = e.getCause();
                    if (c instanceof IOException io) throw io;
                    if (c instanceof RuntimeException re) throw re;
                    if (c instanceof Error err) throw err;
                    throw new IOException(c);
                }
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    /**
     * Begins a graceful shutdown and returns at once. Callable from any thread. Every loop stops
     * accepting and calls {@link Handler#onShutdown} on each open connection (by default: close
     * once queued output is flushed). Within {@code grace} the loops keep serving the
     * connections still open, run their timeouts, and accept tasks from other threads, so a
     * reply in flight is still written and flushed; new registrations ({@code register},
     * {@code connect}, {@code listen}, {@code bindUdp}) are rejected. A loop ends as soon as it
     * holds no connection, or when the grace runs out, closing whatever is left (its handlers
     * see a {@link java.util.concurrent.CancellationException}); then tasks are rejected.
     * @param grace how long connections still open get before they are closed
     */
    public void shutdown(Duration grace) {
        long deadline = System.nanoTime() + Math.max(0, Math.min(Config.saturatedNanos(grace), TimeUnit.DAYS.toNanos(1)));
        for (EventLoop l : loops) l.shutdown(deadline);
    }

    /**
     * Waits until every loop has terminated.
     * @param timeout the longest wait; {@code ChronoUnit.FOREVER.getDuration()} waits as long as it takes
     * @return false on timeout
     * @throws InterruptedException if the calling thread is interrupted while waiting
     */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + Config.saturatedNanos(timeout);
        for (EventLoop l : loops) {
            long left = deadline - System.nanoTime();
            if (!l.awaitTermination(Math.max(0, left), TimeUnit.NANOSECONDS)) return false;
        }
        return true;
    }

    /**
     * Whether every loop has terminated.
     * @return true once every loop has ended
     */
    public boolean isTerminated() {
        for (EventLoop l : loops) if (!l.isTerminated()) return false;
        return true;
    }

    /**
     * Shuts down gracefully (the builder's {@code closeGrace}, 5 s by default) and waits for
     * the loops to end. From a loop thread it only begins the shutdown.
     */
    @Override
    public void close() {
        shutdown(closeGrace);
        for (EventLoop l : loops) if (l.inEventLoop()) return;
        boolean interrupted = false;
        for (;;) {
            try {
                if (!awaitTermination(Duration.ofNanos(Config.saturatedNanos(closeGrace) + TimeUnit.SECONDS.toNanos(5)))) {
                    Log.log(System.Logger.Level.WARNING, "reactor loops did not end in time");
                }
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    @Override
    public String toString() {
        return "Reactor[" + loops.size() + " loop(s)]";
    }

    /**
     * Settings for a {@link Reactor}.
     * {@snippet :
     * Reactor r = Reactor.builder()
     *         .loops(4)
     *         .watermarks(32 * 1024, 128 * 1024)
     *         .idleTimeout(Duration.ofSeconds(30))
     *         .build();
     * }
     */
    public static final class Builder {
        private int loops = Runtime.getRuntime().availableProcessors();
        private int readBufferSize = 64 * 1024;
        private int readBudget = 256 * 1024;
        private int lowWatermark = 32 * 1024;
        private int highWatermark = 64 * 1024;
        private long maxQueuedBytes = 16L * 1024 * 1024;
        private int writeChunkSize = 16 * 1024;
        private Duration idleTimeout = Duration.ZERO;
        private Duration readIdleTimeout = Duration.ZERO;
        private Duration writeIdleTimeout = Duration.ZERO;
        private Duration linger = Duration.ofSeconds(2);
        private Duration acceptBackoff = Duration.ofMillis(100);
        private Duration closeGrace = Duration.ofSeconds(5);
        private int backlog = StreamListener.MAX_BACKLOG;
        private String threadName = "ffm-epoll-loop";
        private boolean tcpNoDelay = true;
        private Duration closeFlushTimeout = Duration.ofSeconds(30);
        /** null: decided at build time by {@link LoopMBeans#wanted()}. */
        private Boolean jmx;

        private Builder() {}

        /**
         * Event-loop threads (default: available processors).
         * @param n at least 1
         * @return this builder
         */
        public Builder loops(int n) {
            loops = n;
            return this;
        }

        /**
         * Bytes one read may return (default 64 KiB): the size of each loop's read buffer.
         * @param bytes the buffer size
         * @return this builder
         */
        public Builder readBufferSize(int bytes) {
            readBufferSize = bytes;
            return this;
        }

        /**
         * Bytes one connection may read per wake (default 256 KiB) before the loop serves the
         * others: a flooding peer delays the rest by at most this much work.
         * @param bytes the budget per connection per wake
         * @return this builder
         */
        public Builder readBudget(int bytes) {
            readBudget = bytes;
            return this;
        }

        /**
         * Queued-output watermarks (default 32/64 KiB): not writable above {@code high}, writable
         * again at or below {@code low}; {@code low} 0 means once the queue is empty.
         * {@link #build()} rejects {@code low < 0} and {@code high <= low}.
         * @param low the queued bytes at or below which a connection is writable again
         * @param high the queued bytes above which it is not writable
         * @return this builder
         */
        public Builder watermarks(int low, int high) {
            lowWatermark = low;
            highWatermark = high;
            return this;
        }

        /**
         * Queued output at which a write fails and the connection is closed (default 16 MiB).
         * @param bytes the limit per connection
         * @return this builder
         */
        public Builder maxQueuedBytes(long bytes) {
            maxQueuedBytes = bytes;
            return this;
        }

        /**
         * Size of the pooled chunks that hold queued output (default 16 KiB).
         * @param bytes the chunk size
         * @return this builder
         */
        public Builder writeChunkSize(int bytes) {
            writeChunkSize = bytes;
            return this;
        }

        /**
         * Default {@link Idle#READ_WRITE} timeout: connections with neither input nor output
         * progress for this long hear {@link Handler#onIdle}, which by default closes them
         * (default: never; {@link Connection#idleTimeout(Idle, Duration)} changes it per
         * connection).
         * @param timeout the idle time after which {@link Handler#onIdle} is called
         * @return this builder
         */
        public Builder idleTimeout(Duration timeout) {
            idleTimeout = Objects.requireNonNull(timeout);
            return this;
        }

        /**
         * Default {@link Idle#READ} timeout: connections that read nothing for this long hear
         * {@link Handler#onIdle}, which by default closes them (default: never; changeable per
         * connection at run time with {@link Connection#idleTimeout(Idle, Duration)}).
         * @param timeout how long without input; {@link Duration#ZERO} for never
         * @return this builder
         */
        public Builder readIdleTimeout(Duration timeout) {
            readIdleTimeout = Objects.requireNonNull(timeout);
            return this;
        }

        /**
         * Default {@link Idle#WRITE} timeout: connections that hand no bytes to the kernel for
         * this long (nothing to send, or output stuck behind a peer that does not read) hear
         * {@link Handler#onIdle}, which by default closes them (default: never; changeable per
         * connection at run time with {@link Connection#idleTimeout(Idle, Duration)}).
         * @param timeout how long without output reaching the kernel
         * @return this builder
         */
        public Builder writeIdleTimeout(Duration timeout) {
            writeIdleTimeout = Objects.requireNonNull(timeout);
            return this;
        }

        /**
         * How long a closing connection discards unread input before closing (default 2 s; 0: close at once).
         * @param time the lingering time
         * @return this builder
         */
        public Builder linger(Duration time) {
            linger = Objects.requireNonNull(time);
            return this;
        }

        /**
         * Pause of accept after EMFILE/ENFILE (default 100 ms).
         * @param pause how long accepting stops
         * @return this builder
         */
        public Builder acceptBackoff(Duration pause) {
            acceptBackoff = Objects.requireNonNull(pause);
            return this;
        }

        /**
         * Grace period {@link Reactor#close()} gives connections to flush (default 5 s).
         * @param grace the grace period
         * @return this builder
         */
        public Builder closeGrace(Duration grace) {
            closeGrace = Objects.requireNonNull(grace);
            return this;
        }

        /**
         * Listen backlog (default {@link StreamListener#MAX_BACKLOG}: the kernel's limit,
         * {@code net.core.somaxconn}). A loop that falls behind a burst of connections (a cold
         * JVM compiling its accept path, a slow handler) leaves them in this queue; one that
         * finds it full loses its SYN and waits a second or more for the retransmit.
         * @param n the accept queue length
         * @return this builder
         */
        public Builder backlog(int n) {
            backlog = n;
            return this;
        }

        /**
         * Thread-name prefix (default {@code ffm-epoll-loop}); loops are suffixed {@code -0}, {@code -1}...
         * @param prefix the name's start
         * @return this builder
         */
        public Builder threadName(String prefix) {
            threadName = Objects.requireNonNull(prefix);
            return this;
        }

        /**
         * Whether accepted TCP connections get {@code TCP_NODELAY} (default true).
         * @param on whether to set {@code TCP_NODELAY}
         * @return this builder
         */
        public Builder tcpNoDelay(boolean on) {
            tcpNoDelay = on;
            return this;
        }

        /**
         * How long {@link Connection#close()} waits for queued output to reach the socket
         * (default 30 s). A peer that stops reading would otherwise pin the connection and up to
         * {@code maxQueuedBytes} of memory forever: at the deadline the connection is reset and
         * {@link Handler#onClose} gets a {@link java.util.concurrent.TimeoutException}. Must be
         * positive.
         * @param timeout the flush deadline
         * @return this builder
         */
        public Builder closeFlushTimeout(Duration timeout) {
            closeFlushTimeout = Objects.requireNonNull(timeout);
            return this;
        }

        /**
         * Whether each loop's counters are exported as an {@link EventLoopMXBean} on the platform
         * MBeanServer, from {@link #build()} until the loop terminates (a no-op in a runtime
         * without {@code java.management}).
         * <p>Without this call, the system property {@code io.ffmepoll.jmx} decides
         * ({@code -Dio.ffmepoll.jmx=true} or {@code false}); without it, the beans are registered
         * when the JVM already uses JMX at build time: when an MBeanServer exists, as it does
         * with a JMX agent ({@code -Dcom.sun.management.jmxremote...}), a metrics library, or any
         * earlier {@code ManagementFactory.getPlatformMBeanServer()}. Creating the platform
         * MBeanServer costs a cold JVM about 1,100 classes, half a CPU-second and 20 MiB, more
         * than the rest of a reactor's start, so a reactor does not create it unasked. For
         * {@code jconsole} attaching later to a JVM without an agent, start it with
         * {@code -Dio.ffmepoll.jmx=true}.
         * @param export true to register one bean per loop, false to register none
         * @return this builder
         */
        public Builder jmx(boolean export) {
            jmx = export;
            return this;
        }

        /**
         * Starts the loops.
         * @return a running reactor, to close when done
         * @throws IllegalArgumentException for inconsistent settings
         * @throws NativeIOException if an epoll instance or eventfd cannot be opened
         */
        public Reactor build() throws IOException {
            Config c = new Config(loops, readBufferSize, readBudget, highWatermark, lowWatermark, maxQueuedBytes,
                    writeChunkSize, Config.saturatedNanos(idleTimeout), Config.saturatedNanos(linger),
                    Math.max(1, Config.saturatedNanos(acceptBackoff)),
                    backlog, threadName, tcpNoDelay, Config.saturatedNanos(closeFlushTimeout),
                    Config.saturatedNanos(readIdleTimeout), Config.saturatedNanos(writeIdleTimeout));
            if (closeGrace.isNegative()) throw new IllegalArgumentException("negative close grace");
            return new Reactor(c, closeGrace, jmx);
        }
    }
}
