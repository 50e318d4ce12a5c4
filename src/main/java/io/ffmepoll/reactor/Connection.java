package io.ffmepoll.reactor;

import io.ffmepoll.epoll.Descriptor;
import io.ffmepoll.epoll.Interest;
import io.ffmepoll.epoll.NativeIOException;
import io.ffmepoll.socket.Option;
import io.ffmepoll.socket.ReceivedDescriptor;
import io.ffmepoll.socket.StreamSocket;
import io.ffmepoll.socket.TcpStream;
import io.ffmepoll.socket.UnixStream;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * A stream connection (TCP or Unix-domain) served by one {@link EventLoop} for its whole life.
 * <p>Registered with {@code IN | RDHUP | PRI | ET}: reading and writing call no {@code epoll_ctl}.
 * Input is read until {@code EAGAIN}, at most a read budget per wake; output that the socket does
 * not take at once is copied into pooled native chunks and sent with gathering {@code sendmsg}
 * when the socket reports {@code OUT}. {@code OUT} is watched only while output waits (one
 * {@code epoll_ctl} when a write first meets a full socket, one when the queue is empty again):
 * a socket with room is writable from the start, and an AF_UNIX socket reports writable each time
 * the peer reads, so watching it always would cost an event per accept and, on AF_UNIX, a
 * wake-up per message. A Unix-domain connection
 * also receives the descriptors sent with its bytes ({@link Handler#onDescriptors}).
 * <h2>Threads</h2>
 * {@link #write}, {@link #writeAndNotify}, {@link #close()}, {@link #shutdownOutput()} and
 * {@link #idleTimeout(Idle, Duration)} may be called from any thread. Off the loop thread a call
 * is handed to the loop in order, through a queue per connection that the loop drains with at
 * most one task (and so at most one wake-up) per batch; the bytes are copied first, so the
 * caller may reuse its buffer as soon as {@code write} returns. Bytes in that hand-off count as
 * queued: {@link #queuedBytes()}, {@link #isWritable()} and the {@code maxQueuedBytes} bound
 * include them. The other methods that act ({@code pauseReading}, {@code resumeReading},
 * {@code abort}) must be called on the loop thread (inside handler callbacks, or in a task given
 * to {@link #loop()}{@code .execute}); elsewhere they throw {@link IllegalStateException}. The
 * getters and {@link #attach} may be called from any thread: a getter called elsewhere returns
 * a recent value that the loop may change at any moment.
 * <h2>Gathering writes</h2>
 * On the loop thread, small writes (up to a quarter of the write chunk size, while what is held
 * stays within the chunk size and the high watermark) are held until the callback, task or
 * timeout that made them returns, and then leave in one {@code sendmsg}; a larger write goes
 * out at once, together with whatever is held, also in one {@code sendmsg}. So an HTTP header
 * and its body cost one system call, and nothing waits past the callback: held writes are sent
 * before the loop runs anything else or waits again.
 * {@snippet :
 * public void onRead(Connection c, MemorySegment request) {
 *     c.write(HEADER);              // held until onRead returns...
 *     c.write(BODY);                // ...then both leave in one sendmsg
 *     c.close();                    // after the queue is flushed
 * }
 * }
 * From another thread, e.g. a reply computed on a worker pool:
 * {@snippet :
 * workers.submit(() -> {
 *     byte[] reply = compute(request);
 *     c.writeAndNotify(reply).whenComplete((ok, failure) -> {
 *         if (failure != null) log(failure);         // closed, reset, or over maxQueuedBytes
 *     });
 * });
 * }
 */
public final class Connection extends Registration {

    /** PRI: TCP urgent data (and Unix MSG_OOB) pending, which makes a short read no proof of an empty queue. */
    static final Interest READING = Interest.of(Interest.IN, Interest.RDHUP, Interest.PRI, Interest.ET);
    /** While output waits for room, or a connect for its completion. */
    static final Interest READING_AND_WRITING = READING.with(Interest.OUT);
    private static final int IN = Interest.IN.bits(), OUT = Interest.OUT.bits(), ERR = Interest.ERR.bits(),
            HUP = Interest.HUP.bits(), RDHUP = Interest.RDHUP.bits(), PRI = Interest.PRI.bits();
    /** Chunks gathered into one sendmsg; the loop's arrays hold one more, for a write's own bytes. */
    static final int MAX_IOV = 64;
    /** Hand-off items the loop takes per task before letting other work run. */
    private static final int HANDOFF_BATCH = 1024;
    private static final int WRITE = 0, SHUTDOWN_OUTPUT = 1, CLOSE = 2;

    private static final VarHandle IN_TRANSIT, WRITABLE, DRAIN_SCHEDULED, HANDOFF;
    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            IN_TRANSIT = l.findVarHandle(Connection.class, "inTransit", long.class);
            WRITABLE = l.findVarHandle(Connection.class, "writable", boolean.class);
            DRAIN_SCHEDULED = l.findVarHandle(Connection.class, "drainScheduled", boolean.class);
            HANDOFF = l.findVarHandle(Connection.class, "handoff", ConcurrentLinkedQueue.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final EventLoop loop;
    private final StreamSocket socket;
    private final Handler handler;
    private final Config config;
    /** Writes are held for one gathering send while what is held stays within this. */
    private final int corkLimit;

    /** Output the socket has not taken yet; created on the first write that has to wait, so a
     *  connection that never backs up (most idle ones) does not carry a deque and its array. */
    private ArrayDeque<BufferPool.Chunk> queue;
    // Written on the loop thread only; volatile so that the getters are safe from other threads
    // (a plain read there may be hoisted out of a caller's loop, and a long may tear).
    private volatile long queued;
    /**
     * Bytes reserved against {@code maxQueuedBytes} and not yet in {@code queued}: writes handed
     * off by other threads, and a loop write while it runs. Added to before the bytes move, so
     * {@code queued + inTransit} never passes the bound.
     */
    private volatile long inTransit;
    /** Cleared by any thread whose write makes the total pass the high watermark; set only by the loop. */
    private volatile boolean writable = true;
    /** The writability last reported to the handler (loop thread). */
    private boolean reportedWritable = true;
    private boolean waitingForOut;     // the socket refused bytes; an OUT edge will follow
    /**
     * OUT is in the registered interest. Added by the epoll_ctl(MOD) that follows a refused
     * write: the kernel polls the socket as it changes the interest and reports OUT if room
     * appeared in between, so no edge is lost.
     */
    private boolean outWatched;
    /** On the loop's list of connections with held writes to send after the current run. */
    boolean flushScheduled;
    /** Bytes accepted for sending over the connection's life, and bytes handed to the kernel. */
    private long streamEnd, streamSent;
    /** writeAndNotify futures waiting for streamSent to reach their end, in order. */
    private ArrayDeque<Tracked> tracked;
    /** Calls handed off by other threads; created by the first one. */
    private volatile ConcurrentLinkedQueue<Handoff> handoff;
    private volatile boolean drainScheduled;
    private final Runnable drainTask = this::drainHandoff;
    /** A close or shutdownOutput was handed off: later writes from other threads are refused. */
    private volatile boolean outputEndRequested;

    private volatile boolean reading = true;    // the handler wants input
    private boolean inputPending = true;  // input may be waiting: no EAGAIN seen since the last edge
    private boolean inputClosed;
    private boolean hangupSeen;        // RDHUP/HUP/ERR reported: read to EAGAIN or EOF, no shortcut
    private boolean urgentSeen;        // PRI reported since the last EAGAIN: read to EAGAIN, no shortcut
    /** Whether a short read may be taken as an empty receive queue: TCP only (see readInput). */
    private final boolean shortReadDrains;
    /**
     * A Unix stream is read with recvmsg so that descriptors sent with the bytes are received
     * (a plain recv makes the kernel close them); they wait here for {@link Handler#onDescriptors}.
     * Null for TCP.
     */
    private final UnixStream unix;
    private final ArrayList<ReceivedDescriptor> received;
    private boolean shutdownOutputRequested;
    private boolean outputShutdown;
    private boolean closeRequested;
    private boolean lingering;         // output done and shut down; discarding input until EOF
    private volatile boolean closed;
    /** A write met EPIPE or ECONNRESET: the close is pending, later writes go nowhere. */
    private boolean outputBroken;
    private Throwable outputBrokenCause;
    /** Idle timeouts in nanoseconds, 0: off. Written on the loop thread; volatile for the getter. */
    private volatile long readIdleNanos, writeIdleNanos, bothIdleNanos;
    /** When each kind of idleness began: its last progress, or its last report. */
    private final long[] idleSince = new long[3];
    private Timeout idleTimer;
    private Timeout closeTimer;        // while closing: the flush deadline, then the linger
    private Timeout connectTimer;
    private volatile Object attachment;
    private boolean connecting;        // a client connect in progress: onOpen waits for OUT
    final CompletableFuture<Connection> opened = new CompletableFuture<>();

    /** A writeAndNotify future and the stream position its last byte reaches. */
    private record Tracked(long end, CompletableFuture<Void> done) {}

    /** A call made on another thread, for the loop to carry out in order. */
    private record Handoff(int kind, MemorySegment data, CompletableFuture<Void> done) {}

    private Connection(EventLoop loop, StreamSocket socket, Handler handler) {
        this.loop = loop;
        this.socket = socket;
        this.handler = handler;
        this.config = loop.config;
        this.corkLimit = Math.min(config.writeChunkSize(), config.highWatermark());
        this.shortReadDrains = socket instanceof TcpStream;
        this.unix = socket instanceof UnixStream u ? u : null;
        this.received = unix != null ? new ArrayList<>(0) : null;
        this.bothIdleNanos = config.idleTimeoutNanos();
        this.readIdleNanos = config.readIdleTimeoutNanos();
        this.writeIdleNanos = config.writeIdleTimeoutNanos();
    }

    /**
     * Registers an open non-blocking socket with {@code loop} and calls {@code onOpen}. Loop
     * thread only. On failure the socket is closed.
     * @param connectTimeoutNanos for a socket still connecting: how long it may take; 0: no limit
     */
    static Connection open(EventLoop loop, StreamSocket socket, Handler handler, long connectTimeoutNanos)
            throws NativeIOException {
        Connection c = new Connection(loop, socket, handler);
        c.connecting = !socket.isConnected();
        c.outWatched = c.connecting;   // a connect in progress completes with OUT
        try {
            loop.register(c, socket, c.outWatched ? READING_AND_WRITING : READING);
        } catch (NativeIOException | RuntimeException e) {
            socket.close();
            throw e;
        }
        loop.count(EventLoop.ACCEPTED, 1);
        loop.count(EventLoop.OPEN, 1);
        long now = System.nanoTime();
        Arrays.fill(c.idleSince, now);
        c.armIdleTimer();
        if (c.connecting && connectTimeoutNanos > 0) {
            c.connectTimer = loop.scheduleAt(now + connectTimeoutNanos, () -> c.connectTimedOut(connectTimeoutNanos));
        }
        if (!c.connecting) c.opened();
        return c;
    }

    static Connection open(EventLoop loop, StreamSocket socket, Handler handler) throws NativeIOException {
        return open(loop, socket, handler, 0);
    }

    private void connectTimedOut(long timeoutNanos) {
        if (closed || !connecting) return;
        closeNow(new SocketTimeoutException("connect timed out after " + timeoutNanos / 1_000_000 + " ms"));
    }

    private void opened() {
        if (connectTimer != null) connectTimer.cancel();
        if (opened.isCancelled()) {   // its registration was cancelled while it connected
            closeNow(new CancellationException("connect cancelled"));
            return;
        }
        try {
            handler.onOpen(this);
        } catch (Throwable t) {
            failed(t);
            return;
        }
        if (!closed) opened.complete(this);
    }

    /**
     * The loop that serves this connection. Any thread.
     * @return the connection's loop
     */
    public EventLoop loop() {
        return loop;
    }

    /**
     * The socket, for options and addresses ({@code socket().getOption(...)}). Do not read,
     * write or close it directly: the connection owns it. Any thread (options and addresses
     * may be read from any thread).
     * @return the connection's socket
     */
    public StreamSocket socket() {
        return socket;
    }

    /**
     * The handler serving this connection. Any thread.
     * @return the handler given at registration
     */
    public Handler handler() {
        return handler;
    }

    /**
     * Any object the application keeps with the connection (null until attached). Any thread.
     * @return the attachment, or null
     */
    public Object attachment() {
        return attachment;
    }

    /**
     * Replaces the attachment. Any thread: the value is published safely, and seen by every
     * later {@link #attachment()} (on the loop, and on the calling thread at once).
     * @param value the new attachment, or null
     */
    public void attach(Object value) {
        attachment = value;
    }

    /**
     * Whether the connection is not yet closed (close-after-flush may be pending). Any thread;
     * once false it stays false.
     * @return whether the connection is open
     */
    public boolean isOpen() {
        return !closed;
    }

    /**
     * Whether queued output, bytes in transit from other threads included, is at or under the
     * high watermark (or has fallen back to the low one). Any thread: a write from another
     * thread that passes the high watermark makes this false before that write returns, and
     * the handler then hears {@link Handler#onWritabilityChanged} {@code false} and later
     * {@code true} on the loop, even if the loop sent everything at once.
     * @return whether the handler may go on writing
     */
    public boolean isWritable() {
        return writable;
    }

    /**
     * Bytes accepted by {@link #write} and not yet taken by the socket, including those handed
     * off by other threads and not yet taken by the loop. Any thread (a snapshot off the loop).
     * @return the queued byte count, bytes in transit from other threads included
     */
    public long queuedBytes() {
        return queued + inTransit;
    }

    /**
     * Whether input is delivered to {@link Handler#onRead}. Any thread (a snapshot off the loop).
     * @return false while reading is paused
     */
    public boolean isReading() {
        return reading;
    }

    /**
     * Sends {@code data}. Any thread; {@code data} may be reused as soon as this returns.
     * <p>On the loop thread a small write is held for one gathering send when the current
     * callback returns (see the class description); a larger one is written at once as far as
     * the socket takes it. What the socket does not take is copied into the queue. On another
     * thread the bytes are copied to the heap and handed to the loop, which writes them in the
     * order they were handed off; they count against {@code maxQueuedBytes} and the watermarks
     * from this call on.
     * <p>Once a write has met the peer's reset (EPIPE, ECONNRESET) the connection closes after
     * the current callback, with that error as {@link Handler#onClose} cause; until then further
     * writes are discarded and return false, since the handler could not have known. A write
     * handed off by another thread that reaches the loop after the connection closed, or after
     * a {@code close}/{@code shutdownOutput} it raced with, is discarded: use
     * {@link #writeAndNotify} to learn of it.
     * @param data the bytes to send
     * @return {@link #isWritable()} after the write: false asks the caller to stop producing
     * @throws IllegalStateException if output was closed or shut down, or if the queue, bytes
     *         in transit included, would pass the reactor's {@code maxQueuedBytes} (nothing of
     *         {@code data} is then sent or queued; on the loop, a handler that lets this escape
     *         is closed rather than growing memory without bound)
     */
    public boolean write(MemorySegment data) {
        Objects.requireNonNull(data, "data");
        if (!loop.inEventLoop()) {
            handOff(WRITE, data, null);
            return writable;
        }
        writeOnLoop(data, null, false);
        return writable && !outputBroken;   // a discarded write says: stop producing
    }

    /**
     * Sends the remaining bytes of {@code data}, advancing its position; as {@link #write(MemorySegment)}. Any thread.
     * @param data the buffer to send from
     * @return as {@link #write(MemorySegment)}
     */
    public boolean write(ByteBuffer data) {
        MemorySegment s = MemorySegment.ofBuffer(data);
        boolean w = write(s);
        data.position(data.limit());
        return w;
    }

    /**
     * Sends {@code data}; as {@link #write(MemorySegment)}. Any thread.
     * @param data the bytes to send
     * @return as {@link #write(MemorySegment)}
     */
    public boolean write(byte[] data) {
        return write(MemorySegment.ofArray(data));
    }

    /**
     * Sends {@code data} as {@link #write(MemorySegment)} does, and says when it has been
     * handed to the kernel. Any thread; {@code data} may be reused as soon as this returns.
     * <p>The future completes, on the loop thread, once the last byte of {@code data} (and so
     * every byte written before it) has been taken by {@code send}/{@code sendmsg}: it is then
     * in the kernel's send buffer, which is not proof that the peer received it. It fails with
     * the reason otherwise: an {@link IllegalStateException} at once if output is closed or the
     * bytes would pass {@code maxQueuedBytes}; the {@link IOException} of a reset peer; or, if
     * the connection closes first, an {@link IOException} whose cause is the close's cause (if
     * any). Dependent actions added without an executor run on the loop thread: keep them short.
     * <p>Cost: one future and one small record per call (measured in the README), on top of
     * {@link #write(MemorySegment)}; the plain write stays free of allocation on the loop.
     * {@snippet :
     * c.writeAndNotify(reply).thenRun(() -> sent.increment());
     * }
     * @param data the bytes to send; may be reused as soon as this returns
     * @return a future completed once the kernel has every byte, or failed with the reason
     */
    public CompletableFuture<Void> writeAndNotify(MemorySegment data) {
        Objects.requireNonNull(data, "data");
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            if (loop.inEventLoop()) {
                writeOnLoop(data, done, false);
            } else {
                handOff(WRITE, data, done);
            }
        } catch (IllegalStateException e) {
            done.completeExceptionally(e);
        }
        return done;
    }

    /**
     * Sends {@code data}; as {@link #writeAndNotify(MemorySegment)}. Any thread.
     * @param data the bytes to send; may be reused as soon as this returns
     * @return as {@link #writeAndNotify(MemorySegment)}
     */
    public CompletableFuture<Void> writeAndNotify(byte[] data) {
        return writeAndNotify(MemorySegment.ofArray(data));
    }

    /** Stops delivering input; the kernel buffers it and then the peer's sends stall. Loop thread only. */
    public void pauseReading() {
        checkThread();
        reading = false;
    }

    /**
     * Resumes delivering input, from the next loop iteration; input that arrived while paused
     * is read then (the edge that announced it is not lost). Loop thread only.
     */
    public void resumeReading() {
        checkThread();
        if (reading || closeRequested || closed) return;
        reading = true;
        if (inputPending && !inputClosed) loop.markReady(this);
    }

    /**
     * Sends FIN once queued output is flushed; reading continues. Any thread: from another
     * thread it takes effect after the writes that thread handed off before it, and later
     * writes from other threads are refused.
     */
    public void shutdownOutput() {
        if (!loop.inEventLoop()) {
            handOffEnd(SHUTDOWN_OUTPUT);
            return;
        }
        if (closed || shutdownOutputRequested) return;
        shutdownOutputRequested = true;
        if (!waitingForOut) sendHeld();   // flush() shuts output down once the queue is empty
        if (!closed && queueEmpty()) doShutdownOutput();
    }

    /**
     * Closes after queued output is flushed. Input is no longer delivered; what the peer still
     * sends is read and discarded for a short linger so that the kernel does not answer unread
     * data with a reset that could destroy the response in flight.
     * <p>The flush has a deadline ({@link Reactor.Builder#closeFlushTimeout}, 30 s by default):
     * a peer that stops reading cannot pin the connection and its queued output. At the
     * deadline the connection is reset as by {@link #abort()}, and {@link Handler#onClose} gets a
     * {@link TimeoutException} saying how many bytes were not flushed. Idempotent.
     * <p>Any thread: from another thread it takes effect after the writes that thread handed
     * off before it, and later writes from other threads are refused.
     */
    public void close() {
        if (!loop.inEventLoop()) {
            handOffEnd(CLOSE);
            return;
        }
        if (closed || closeRequested) return;
        closeRequested = true;
        reading = false;
        if (queueEmpty()) {
            finishClose();
            return;
        }
        if (!waitingForOut) {
            sendHeld();   // writes held in this run: flush() finishes the close once the queue is empty
            if (closed || lingering || queueEmpty()) return;
        }
        closeTimer = loop.scheduleAt(System.nanoTime() + config.closeFlushTimeoutNanos(), this::flushTimedOut);
    }

    /** Closes now, discarding queued output, and resets the connection ({@code SO_LINGER 0}). Loop thread only. */
    public void abort() {
        checkThread();
        reset(null);
    }

    /**
     * Sets the idle timeout of {@code kind} for this connection, replacing the reactor's default
     * ({@link Reactor.Builder#idleTimeout}, {@link Reactor.Builder#readIdleTimeout},
     * {@link Reactor.Builder#writeIdleTimeout}); {@link Duration#ZERO} turns it off. The clock
     * keeps running from the last progress: a connection already idle longer than the new
     * timeout hears {@link Handler#onIdle} at once. Any thread (from another thread it takes
     * effect when the loop runs the change; on a closed connection it does nothing).
     * {@snippet :
     * c.idleTimeout(Idle.READ, Duration.ofSeconds(30));   // e.g. after the request line
     * }
     * @param kind which clock: input, output, or either
     * @param timeout the new timeout; {@link Duration#ZERO} turns it off
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    public void idleTimeout(Idle kind, Duration timeout) {
        Objects.requireNonNull(kind, "kind");
        if (timeout.isNegative()) throw new IllegalArgumentException("negative idle timeout: " + timeout);
        long nanos = Config.saturatedNanos(timeout);
        if (!loop.inEventLoop()) {
            if (closed) return;
            try {
                loop.execute(() -> setIdleTimeout(kind, nanos));
            } catch (RejectedExecutionException terminating) {
                // the loop closes every connection as it ends: nothing left to time
            }
            return;
        }
        setIdleTimeout(kind, nanos);
    }

    /**
     * The idle timeout of {@code kind} now ({@link Duration#ZERO}: off). Any thread (a snapshot
     * off the loop).
     * @param kind which clock
     * @return the timeout in force, {@link Duration#ZERO} when off
     */
    public Duration idleTimeout(Idle kind) {
        return Duration.ofNanos(idleNanos(kind));
    }

    /** Closes now with a reset ({@code SO_LINGER 0}: close(2) sends RST and does not block). */
    private void reset(Throwable cause) {
        if (closed) return;
        try {
            socket.setOption(Option.SO_LINGER, 0);
        } catch (IOException | RuntimeException ignored) {
            // closing anyway
        }
        closeNow(cause);
    }

    /** The close's flush deadline passed with output still queued. */
    private void flushTimedOut() {
        if (closed) return;
        reset(new TimeoutException("close: " + queued + " queued bytes not flushed within "
                + config.closeFlushTimeoutNanos() / 1_000_000 + " ms; connection reset"));
    }

    // ---- events (loop thread)

    @Override
    void onEvents(int bits) {
        if (closed) return;
        if (connecting) {
            if ((bits & (OUT | ERR | HUP)) == 0) return;
            try {
                if (!socket.finishConnect()) return;
            } catch (IOException | RuntimeException e) {
                closeNow(e);   // ECONNREFUSED, ETIMEDOUT...
                return;
            }
            connecting = false;
            opened();
            if (closed) return;
            try {
                if (!waitingForOut) unwatchOut();
            } catch (IOException e) {
                closeNow(e);
                return;
            }
        }
        try {
            // OUT/ERR first, then IN, then hang-up: a peer that sends its last bytes and closes
            // is reported in one event, and the bytes must be read before the close is handled.
            if ((bits & (OUT | ERR)) != 0 && !queueEmpty()) flush();
            if (closed) return;
            if ((bits & (RDHUP | HUP | ERR)) != 0) hangupSeen = true;
            if ((bits & PRI) != 0) urgentSeen = true;
            if ((bits & (IN | PRI | RDHUP | HUP | ERR)) != 0) {
                inputPending = true;
                readInput();
            }
            if (!closed && (bits & ERR) != 0 && !reading && !lingering) {
                // The socket failed while the handler paused input; the error would otherwise
                // wait for a resume that may never come.
                closeNow(new IOException("socket error reported while reading was paused"));
            }
        } catch (Throwable t) {
            failed(t);
        }
    }

    @Override
    void onStillReady() {
        if (closed) return;
        try {
            readInput();
        } catch (Throwable t) {
            failed(t);
        }
    }

    private void readInput() throws IOException {
        if (!inputPending || inputClosed || (!reading && !lingering)) return;
        if (loop.iteration == servedIn) {
            loop.markReady(this);   // already had this iteration's budget (event and resume both asked)
            return;
        }
        servedIn = loop.iteration;
        MemorySegment buffer = loop.readBuffer;
        long bufferSize = buffer.byteSize();
        int budget = config.readBudget();
        boolean progressed = false;
        try {
            for (;;) {
                if (budget <= 0) {
                    // Fairness: input remains, but others get a turn first.
                    loop.count(EventLoop.YIELDS, 1);
                    loop.markReady(this);
                    return;
                }
                MemorySegment dst = budget >= bufferSize ? buffer : loop.readSlice(budget);
                int n = unix != null ? unix.receiveDescriptors(dst, received) : socket.read(dst);
                if (n == Descriptor.WOULD_BLOCK) {
                    inputPending = false;
                    urgentSeen = false;   // the mark, if any, was passed: a new one raises PRI again
                    return;
                }
                if (n == Descriptor.EOF) {
                    inputPending = false;
                    inputClosed = true;
                    if (lingering) {
                        closeNow(null);
                    } else {
                        handler.onEndOfInput(this);
                    }
                    return;
                }
                budget -= n;
                progressed = true;
                loop.count(EventLoop.READ, n);
                // A short read is proof of an empty receive queue only where the kernel says so;
                // then the read that would only say EAGAIN is skipped, since bytes arriving later
                // raise a new edge (each arrival calls sk_data_ready, which re-arms an ET item).
                // - TCP: tcp_recvmsg copies skb after skb until the buffer is full or the queue
                //   is empty (packets held in the backlog are queued on release_sock, which
                //   wakes epoll again), with one exception: it stops at the urgent mark while
                //   urgent data is pending (TCP_URG_VALID), with or without SO_OOBINLINE, and
                //   the bytes behind the mark raise no new edge. tcp_poll reports EPOLLPRI for
                //   exactly that state, in the mask computed when the event is collected, and
                //   urgent data arriving after that wakes epoll again: so without PRI since the
                //   last EAGAIN, a short read means empty.
                // - AF_UNIX: unix_stream_read_generic stops after bytes that carried SCM_RIGHTS,
                //   at a change of writer credentials under SO_PASSCRED, and at an MSG_OOB mark,
                //   all with more queued and no new edge: never a proof, read to EAGAIN.
                // - Not once a hang-up was reported: the FIN or error behind the data must
                //   still be read.
                boolean drained = n < dst.byteSize() && shortReadDrains && !urgentSeen && !hangupSeen;
                if (unix != null && !received.isEmpty()) {
                    deliverDescriptors();
                    if (closed || (closeRequested && !lingering)) return;   // closed from onDescriptors
                }
                if (!lingering) {
                    handler.onRead(this, n == bufferSize ? buffer : loop.readSlice(n));
                    if (closed || (!reading && !lingering)) {
                        if (drained) inputPending = false;
                        return;
                    }
                }
                if (drained) {
                    inputPending = false;
                    return;
                }
            }
        } finally {
            if (progressed) {
                long now = loop.iterationStart;
                idleSince[Idle.READ.ordinal()] = now;
                idleSince[Idle.READ_WRITE.ordinal()] = now;
            }
        }
    }

    /**
     * Offers the descriptors just received to the handler (unless closing) and closes those it
     * did not take, even if it throws: each is closed exactly once, by the handler or here.
     */
    private void deliverDescriptors() {
        try {
            if (!lingering && !closeRequested) handler.onDescriptors(this, received);
        } finally {
            for (int i = 0; i < received.size(); i++) received.get(i).close();
            received.clear();
        }
    }

    // ---- writes

    /**
     * Writes {@code data} on the loop thread: held, sent or queued, with its reservation against
     * {@code maxQueuedBytes} taken first ({@code reserved}: the handing-off thread took it) and
     * released once the bytes are sent or in {@code queued}.
     */
    private void writeOnLoop(MemorySegment data, CompletableFuture<Void> done, boolean reserved) {
        long size = data.byteSize();
        try {
            if (outputBroken && !closed) {
                if (done != null) done.completeExceptionally(closedFailure("write discarded after", outputBrokenCause));
                return;
            }
            if (closed || closeRequested || shutdownOutputRequested) {
                throw new IllegalStateException("connection is closed for output");
            }
            if (size > 0) {
                if (!reserved) {
                    reserve(size);
                    reserved = true;
                }
                send(data, size);
            }
        } finally {
            if (reserved && size > 0) release(size);
        }
        completeTracked();
        if (done != null) track(done);
        if (!closed) updateWritability();
    }

    /** Holds, sends or queues {@code size > 0} bytes accepted for sending. */
    private void send(MemorySegment data, long size) {
        streamEnd += size;
        if (waitingForOut) {
            enqueue(data, 0);
            return;
        }
        if (size <= corkLimit / 4 && queued + size <= corkLimit) {
            enqueue(data, 0);
            if (!flushScheduled) {
                flushScheduled = true;
                loop.sendAfterRun(this);
            }
            return;
        }
        long sent = queueEmpty() ? writeDirect(data) : writeWithHeld(data);
        if (sent < size) enqueue(data, sent);
        if (waitingForOut && !outWatched && !outputBroken) {
            try {
                watchOut();
            } catch (NativeIOException e) {
                closeLater(e);
            }
        }
    }

    /**
     * Reserves {@code size} bytes against {@code maxQueuedBytes}: added first and taken back if
     * over, so that reservations racing on several threads cannot pass the bound together. Any
     * thread.
     */
    private void reserve(long size) {
        long before = (long) IN_TRANSIT.getAndAdd(this, size);
        long total = queued + before + size;
        if (total > config.maxQueuedBytes()) {
            IN_TRANSIT.getAndAdd(this, -size);
            throw new IllegalStateException("write of " + size + " bytes would queue " + total
                    + " bytes (bytes in transit from other threads included), over the limit of "
                    + config.maxQueuedBytes() + " (maxQueuedBytes)");
        }
    }

    private void release(long size) {
        IN_TRANSIT.getAndAdd(this, -size);
    }

    /**
     * Brings writability and what the handler was told up to date with queued plus in-transit
     * bytes (loop thread). Another thread may have cleared {@code writable} since the last call:
     * the handler then hears false, and true once the total is back at or below the low
     * watermark, even if the loop sent those bytes at once.
     */
    private void updateWritability() {
        if (writable && queued + inTransit > config.highWatermark()) writable = false;
        if (!writable && reportedWritable) {
            reportedWritable = false;
            handler.onWritabilityChanged(this, false);
            if (closed) return;
        }
        // At or below, not strictly below: a low watermark of 0 means "writable once empty", and
        // the queue cannot go below 0. Set, then checked again: a thread that reserved in
        // between and did not see the set is seen here; one that reserved after clears it itself.
        if (!writable && queued + inTransit <= config.lowWatermark() && WRITABLE.compareAndSet(this, false, true)) {
            if (queued + inTransit > config.highWatermark()) writable = false;
        }
        if (writable && !reportedWritable) {
            reportedWritable = true;
            handler.onWritabilityChanged(this, true);
        }
    }

    /** Completes {@code done} once every byte accepted so far is in the kernel. */
    private void track(CompletableFuture<Void> done) {
        if (streamSent >= streamEnd) {
            done.complete(null);
            return;
        }
        if (tracked == null) tracked = new ArrayDeque<>(4);
        tracked.add(new Tracked(streamEnd, done));
    }

    /** {@code n > 0} bytes went to the kernel: counters and idle clocks. */
    private void wrote(long n) {
        loop.count(EventLoop.WRITTEN, n);
        streamSent += n;
        long now = loop.iterationStart;
        idleSince[Idle.WRITE.ordinal()] = now;
        idleSince[Idle.READ_WRITE.ordinal()] = now;
    }

    /**
     * Completes the futures whose bytes are all in the kernel. Called once the write or flush
     * has finished its bookkeeping: a dependent action may write again.
     */
    private void completeTracked() {
        if (tracked == null) return;
        Tracked t;
        while ((t = tracked.peek()) != null && t.end <= streamSent) {
            tracked.poll();
            t.done.complete(null);
        }
    }

    private static IOException closedFailure(String what, Throwable cause) {
        return new IOException(what + " the connection closed" + (cause == null ? "" : ": " + cause), cause);
    }

    // ---- calls from other threads

    /** Copies {@code data} and hands it to the loop, reserved against {@code maxQueuedBytes}. */
    private void handOff(int kind, MemorySegment data, CompletableFuture<Void> done) {
        if (closed || outputEndRequested) throw new IllegalStateException("connection is closed for output");
        long size = data.byteSize();
        if (size == 0 && done == null) return;
        reserve(size);
        MemorySegment copy;
        try {
            copy = size == 0 ? data : MemorySegment.ofArray(data.toArray(ValueLayout.JAVA_BYTE));
        } catch (RuntimeException | Error e) {   // a closed or foreign-confined segment, over 2 GiB
            release(size);
            throw e;
        }
        if (writable && queued + inTransit > config.highWatermark()) writable = false;
        enqueueHandoff(new Handoff(kind, copy, done));
    }

    /** A close or shutdownOutput from another thread, in order after the writes handed off before it. */
    private void handOffEnd(int kind) {
        if (closed) return;
        outputEndRequested = true;
        enqueueHandoff(new Handoff(kind, null, null));
    }

    private void enqueueHandoff(Handoff h) {
        ConcurrentLinkedQueue<Handoff> q = handoff;
        if (q == null) {
            q = new ConcurrentLinkedQueue<>();
            if (!HANDOFF.compareAndSet(this, null, q)) q = handoff;
        }
        q.offer(h);
        // One drain task per batch: set by the first hand-off after a drain began, cleared by the
        // drain before it takes anything, so no hand-off is left without a drain to come.
        if (!drainScheduled && DRAIN_SCHEDULED.compareAndSet(this, false, true)) {
            try {
                loop.execute(drainTask);
            } catch (RejectedExecutionException terminating) {
                // the loop closes every connection as it ends, failing what is queued
            }
        }
        // Closed meanwhile: closeNow may have emptied the queue before the offer. Each item is
        // taken exactly once, by this thread or by closeNow.
        if (closed) failHandoff(null);
    }

    /** Carries out what other threads handed off (loop thread, as a task). */
    private void drainHandoff() {
        drainScheduled = false;
        ConcurrentLinkedQueue<Handoff> q = handoff;
        for (int k = 0; k < HANDOFF_BATCH; k++) {
            Handoff h = q.poll();
            if (h == null) return;
            switch (h.kind) {
                case WRITE -> {
                    try {
                        writeOnLoop(h.data, h.done, true);
                    } catch (IllegalStateException refused) {   // closed meanwhile (the reservation is released)
                        if (h.done != null) h.done.completeExceptionally(closed
                                ? closedFailure("write discarded:", null) : refused);
                        else logDebug(this + ": a write handed off by another thread was discarded", refused);
                    }
                }
                case SHUTDOWN_OUTPUT -> shutdownOutput();
                default -> close();
            }
        }
        // A producer faster than the loop: other work gets a turn before the next batch.
        if (!q.isEmpty() && DRAIN_SCHEDULED.compareAndSet(this, false, true)) {
            try {
                loop.execute(drainTask);
            } catch (RejectedExecutionException terminating) {
                // the loop closes this connection as it ends
            }
        }
    }

    /** Fails and releases everything handed off and not yet carried out. Any thread. */
    private void failHandoff(Throwable cause) {
        ConcurrentLinkedQueue<Handoff> q = handoff;
        if (q == null) return;
        Handoff h;
        while ((h = q.poll()) != null) {
            if (h.data != null) release(h.data.byteSize());
            if (h.done != null) h.done.completeExceptionally(closedFailure("write discarded:", cause));
        }
    }

    /** Sends what writes of the last run held (loop thread, after the run). */
    void sendHeld() {
        flushScheduled = false;
        if (closed || waitingForOut || queueEmpty()) return;
        try {
            flush();
        } catch (Throwable t) {
            failed(t);
        }
    }

    private long writeDirect(MemorySegment data) {
        long size = data.byteSize();
        long total = 0;
        try {
            while (total < size) {
                // The whole segment as it is when it fits one call (the usual case): a slice
                // would be an allocation per write whenever the JIT does not inline the call
                // deep enough to scalar-replace it.
                MemorySegment part = total == 0 && size <= Integer.MAX_VALUE ? data
                        : data.asSlice(total, Math.min(size - total, Integer.MAX_VALUE));
                loop.count(EventLoop.WRITE_CALLS, 1);
                int n = socket.write(part);
                if (n == Descriptor.WOULD_BLOCK) {
                    waitingForOut = true;
                    break;
                }
                total += n;
                if (n < part.byteSize()) {
                    waitingForOut = true;   // the send buffer is full; OUT will report space
                    break;
                }
            }
        } catch (IOException e) {
            // EPIPE, ECONNRESET: the connection is dead; close it after this callback returns.
            if (total > 0) wrote(total);
            closeLater(e);
            return size;
        }
        if (total > 0) wrote(total);
        return total;
    }

    /**
     * Sends the held bytes and then {@code data} in one sendmsg (the queue holds only bytes
     * held in this run, in one chunk, since the socket is not full).
     * @return how many bytes of {@code data} went; the rest is for the queue
     */
    private long writeWithHeld(MemorySegment data) {
        if (queue.size() >= MAX_IOV) {   // not the held case: keep the order, queue behind
            try {
                flush();
            } catch (IOException e) {
                closeLater(e);
                return data.byteSize();
            }
            return queueEmpty() && !closed ? writeDirect(data) : 0;
        }
        MemorySegment[] parts = loop.iovParts;
        long[] starts = loop.iovStarts, lengths = loop.iovLengths;
        int count = gatherQueue(parts, starts, lengths);
        long held = queued;
        parts[count] = data;
        starts[count] = 0;
        lengths[count++] = data.byteSize();
        long n;
        try {
            loop.count(EventLoop.WRITE_CALLS, 1);
            n = socket.write(parts, starts, lengths, count);
        } catch (IOException e) {
            closeLater(e);
            return data.byteSize();
        } finally {
            Arrays.fill(parts, 0, count, null);
        }
        if (n == Descriptor.WOULD_BLOCK) {
            waitingForOut = true;
            return 0;
        }
        long fromQueue = Math.min(n, held);
        consume(fromQueue);
        if (n > 0) wrote(n);
        if (n < held + data.byteSize()) waitingForOut = true;
        return n - fromQueue;
    }

    /** Points the loop's gather arrays at the queued chunks, at most MAX_IOV; no iterator when there is one. */
    private int gatherQueue(MemorySegment[] parts, long[] starts, long[] lengths) {
        if (queue.size() == 1) {
            BufferPool.Chunk c = queue.peekFirst();
            parts[0] = c.segment;
            starts[0] = c.start;
            lengths[0] = c.readable();
            return 1;
        }
        int count = 0;
        for (BufferPool.Chunk c : queue) {
            if (count == MAX_IOV) break;
            parts[count] = c.segment;
            starts[count] = c.start;
            lengths[count++] = c.readable();
        }
        return count;
    }

    private boolean queueEmpty() {
        return queue == null || queue.isEmpty();
    }

    /** Copies {@code data} from {@code offset} into the queue's chunks. */
    private void enqueue(MemorySegment data, long offset) {
        if (queue == null) queue = new ArrayDeque<>(4);
        BufferPool pool = loop.pool;
        long size = data.byteSize();
        BufferPool.Chunk tail = queue.peekLast();
        long added = size - offset;
        while (offset < size) {
            if (tail == null || tail.writable() == 0) {
                tail = pool.take();
                queue.add(tail);
            }
            int n = (int) Math.min(tail.writable(), size - offset);
            MemorySegment.copy(data, offset, tail.segment, tail.end, n);
            tail.end += n;
            offset += n;
        }
        queued += added;
    }

    private void flush() throws IOException {
        MemorySegment[] parts = loop.iovParts;
        long[] starts = loop.iovStarts, lengths = loop.iovLengths;
        while (!queueEmpty()) {
            int count = gatherQueue(parts, starts, lengths);
            long want = 0;
            for (int i = 0; i < count; i++) want += lengths[i];
            long n;
            try {
                loop.count(EventLoop.WRITE_CALLS, 1);
                n = socket.write(parts, starts, lengths, count);
            } finally {
                Arrays.fill(parts, 0, count, null);
            }
            if (n == Descriptor.WOULD_BLOCK) {
                waitingForOut = true;
                if (!outWatched) watchOut();
                completeTracked();
                return;
            }
            consume(n);
            if (n > 0) wrote(n);
            if (n < want) {
                waitingForOut = true;
                break;
            }
        }
        if (queueEmpty()) {
            waitingForOut = false;
            if (outWatched) unwatchOut();
        } else if (waitingForOut && !outWatched) {
            watchOut();
        }
        completeTracked();
        if (closed) return;
        updateWritability();
        if (closed) return;
        if (queueEmpty()) {
            if (shutdownOutputRequested && !outputShutdown) doShutdownOutput();
            if (closeRequested) finishClose();
        }
    }

    /** The socket refused bytes ({@code waitingForOut}): watch OUT until the queue is empty. */
    private void watchOut() throws NativeIOException {
        loop.modify(this, socket, READING_AND_WRITING);
        outWatched = true;
    }

    /** Nothing waits for room any more: stop watching OUT, which would only bring wake-ups. */
    private void unwatchOut() throws NativeIOException {
        if (outWatched && !connecting) {
            loop.modify(this, socket, READING);
            outWatched = false;
        }
    }

    private void consume(long n) {
        queued -= n;
        while (n > 0) {
            BufferPool.Chunk c = queue.peek();
            int r = c.readable();
            if (n >= r) {
                queue.poll();
                loop.pool.give(c);
                n -= r;
            } else {
                c.start += (int) n;
                n = 0;
            }
        }
    }

    private void doShutdownOutput() {
        if (outputShutdown || closed) return;
        outputShutdown = true;
        try {
            socket.shutdownOutput();
        } catch (IOException | RuntimeException e) {
            // ENOTCONN: the peer is gone; the close that follows reports it
            logDebug("shutdownOutput failed", e);
        }
    }

    /** Output is flushed and the handler asked to close. */
    private void finishClose() {
        if (closed || lingering) return;
        if (inputClosed || config.lingerNanos() == 0) {
            closeNow(null);
            return;
        }
        doShutdownOutput();
        lingering = true;
        if (closeTimer != null) closeTimer.cancel();   // flushed in time
        closeTimer = loop.scheduleAt(System.nanoTime() + config.lingerNanos(), () -> closeNow(null));
        if (inputPending) loop.markReady(this);
    }

    private void closeLater(Throwable cause) {
        // Called from inside write(): closing now would pull the connection from under the
        // handler's feet mid-callback; the task runs after the current callback.
        closeRequested = true;
        outputBroken = true;
        outputBrokenCause = cause;
        reading = false;
        discardQueue();
        loop.execute(() -> closeNow(cause));
    }

    /** A handler or the socket threw: close with the cause; handler bugs are logged. */
    void failed(Throwable t) {
        if (t instanceof IOException) {
            Log.log(System.Logger.Level.DEBUG, () -> this + " closed: " + t);
        } else {
            loop.count(EventLoop.FAILURES, 1);
            Log.log(System.Logger.Level.WARNING, this + ": handler " + handlerName() + " failed; connection closed", t);
        }
        closeNow(t);
    }

    /** Releases everything now and tells the handler. */
    void closeNow(Throwable cause) {
        if (closed) return;
        closed = true;
        reading = false;
        loop.release(this);
        if (idleTimer != null) idleTimer.cancel();
        if (closeTimer != null) closeTimer.cancel();
        if (connectTimer != null) connectTimer.cancel();
        socket.close();   // also removes the fd from the epoll set: no epoll_ctl
        discardQueue();
        loop.count(EventLoop.OPEN, -1);
        if (tracked != null) {
            Tracked t;
            while ((t = tracked.poll()) != null) t.done.completeExceptionally(closedFailure("write not sent:", cause));
        }
        failHandoff(cause);
        if (!opened.isDone()) {
            opened.completeExceptionally(cause != null ? cause : new IOException("closed before it was open"));
        }
        try {
            handler.onClose(this, cause);
        } catch (Throwable t) {
            loop.count(EventLoop.FAILURES, 1);
            Log.log(System.Logger.Level.WARNING, this + ": onClose of " + handlerName() + " failed", t);
        }
    }

    private void discardQueue() {
        BufferPool.Chunk c;
        if (queue != null) while ((c = queue.poll()) != null) loop.pool.give(c);
        queued = 0;
    }

    @Override
    void beginShutdown() {
        if (closed) return;
        try {
            handler.onShutdown(this);
        } catch (Throwable t) {
            failed(t);
        }
    }

    @Override
    void terminate() {
        closeNow(new CancellationException("event loop shut down"));
    }

    String handlerName() {
        return handler.getClass().getName();
    }

    // ---- idle timeouts (loop thread)

    private long idleNanos(Idle kind) {
        return switch (kind) {
            case READ -> readIdleNanos;
            case WRITE -> writeIdleNanos;
            case READ_WRITE -> bothIdleNanos;
        };
    }

    private void setIdleTimeout(Idle kind, long nanos) {
        if (closed) return;
        switch (kind) {
            case READ -> readIdleNanos = nanos;
            case WRITE -> writeIdleNanos = nanos;
            case READ_WRITE -> bothIdleNanos = nanos;
        }
        armIdleTimer();
    }

    /**
     * Keeps one timer for the earliest idle deadline: moved earlier when a timeout shrinks;
     * when progress moves a deadline later the timer is left alone, and re-armed when it fires.
     */
    private void armIdleTimer() {
        long next = 0;
        boolean any = false;
        for (Idle k : Idle.VALUES) {
            long t = idleNanos(k);
            if (t == 0) continue;
            long d = idleSince[k.ordinal()] + t;
            if (!any || d - next < 0) next = d;
            any = true;
        }
        if (idleTimer != null) {
            if (any && idleTimer.deadline() - next <= 0) return;
            idleTimer.cancel();
            idleTimer = null;
        }
        if (any) idleTimer = loop.scheduleAt(next, this::checkIdle);
    }

    private void checkIdle() {
        idleTimer = null;
        if (closed) return;
        long now = System.nanoTime();
        for (Idle k : Idle.VALUES) {
            long t = idleNanos(k);
            if (t == 0 || now - (idleSince[k.ordinal()] + t) < 0) continue;
            idleSince[k.ordinal()] = now;   // still idle: reported again one timeout later
            try {
                handler.onIdle(this, k);
            } catch (Throwable e) {
                failed(e);
            }
            if (closed) return;
        }
        armIdleTimer();
    }

    /** {@link Handler#onIdle}'s default: close now, {@code onClose} getting a TimeoutException. */
    void closeIdle(Idle kind) {
        checkThread();
        closeNow(new TimeoutException(kind.description() + " for " + idleNanos(kind) / 1_000_000 + " ms"));
    }

    private void checkThread() {
        if (!loop.inEventLoop()) {
            throw new IllegalStateException("Connection methods run on its loop thread; use loop().execute(...)");
        }
    }

    private static void logDebug(String what, Throwable e) {
        Log.log(System.Logger.Level.DEBUG, what, e);
    }

    @Override
    public String toString() {
        return "Connection[" + socket + ", loop " + loop.index() + (closed ? ", closed" : "") + "]";
    }
}
