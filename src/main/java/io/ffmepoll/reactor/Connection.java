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
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

/**
 * A stream connection (TCP or Unix-domain) served by one {@link EventLoop} for its whole life.
 * <p>Registered once with {@code IN | OUT | RDHUP | PRI | ET}: reading, writing and backpressure
 * never call {@code epoll_ctl}. Input is read until {@code EAGAIN}, at most a read budget per wake;
 * output that the socket does not take at once is copied into pooled native chunks and sent
 * with gathering {@code writev} when the socket reports {@code OUT}. A Unix-domain connection
 * also receives the descriptors sent with its bytes ({@link Handler#onDescriptors}).
 * <p>Methods that act ({@code write}, {@code pauseReading}, {@code close}...) must be called on
 * the connection's loop thread (inside handler callbacks, or in a task given to
 * {@link #loop()}{@code .execute}); elsewhere they throw {@link IllegalStateException}. The
 * getters ({@link #isOpen}, {@link #isWritable}, {@link #queuedBytes}, {@link #isReading},
 * {@link #attachment}) and {@link #attach} may be called from any thread: a getter called
 * elsewhere returns a recent value that the loop may change at any moment.
 * {@snippet :
 * public void onRead(Connection c, MemorySegment request) {
 *     c.write(RESPONSE);            // sent now, or queued and sent on EPOLLOUT
 *     c.close();                    // after the queue is flushed
 * }
 * }
 */
public final class Connection extends Registration {

    /** PRI: TCP urgent data (and Unix MSG_OOB) pending, which makes a short read no proof of an empty queue. */
    static final Interest INTEREST = Interest.of(Interest.IN, Interest.OUT, Interest.RDHUP, Interest.PRI, Interest.ET);
    private static final int IN = Interest.IN.bits(), OUT = Interest.OUT.bits(), ERR = Interest.ERR.bits(),
            HUP = Interest.HUP.bits(), RDHUP = Interest.RDHUP.bits(), PRI = Interest.PRI.bits();
    private static final int MAX_IOV = 64;

    private final EventLoop loop;
    private final StreamSocket socket;
    private final Handler handler;
    private final Config config;

    /** Output the socket has not taken yet; created on the first write that has to wait, so a
     *  connection that never backs up (most idle ones) does not carry a deque and its array. */
    private ArrayDeque<BufferPool.Chunk> queue;
    private MemorySegment[] iov;
    // Written on the loop thread only; volatile so that the getters are safe from other threads
    // (a plain read there may be hoisted out of a caller's loop, and a long may tear).
    private volatile long queued;
    private volatile boolean writable = true;
    private boolean waitingForOut;     // the socket refused bytes; an OUT edge will follow
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
    private long lastActivity;
    private Timeout idleTimer;
    private Timeout closeTimer;        // while closing: the flush deadline, then the linger
    private volatile Object attachment;
    private boolean connecting;        // a client connect in progress: onOpen waits for OUT
    final CompletableFuture<Connection> opened = new CompletableFuture<>();

    private Connection(EventLoop loop, StreamSocket socket, Handler handler) {
        this.loop = loop;
        this.socket = socket;
        this.handler = handler;
        this.config = loop.config;
        this.shortReadDrains = socket instanceof TcpStream;
        this.unix = socket instanceof UnixStream u ? u : null;
        this.received = unix != null ? new ArrayList<>(0) : null;
    }

    /**
     * Registers an open non-blocking socket with {@code loop} and calls {@code onOpen}. Loop
     * thread only. On failure the socket is closed.
     */
    static Connection open(EventLoop loop, StreamSocket socket, Handler handler) throws NativeIOException {
        Connection c = new Connection(loop, socket, handler);
        c.connecting = !socket.isConnected();
        try {
            loop.register(c, socket, INTEREST);
        } catch (NativeIOException | RuntimeException e) {
            socket.close();
            throw e;
        }
        loop.count(EventLoop.ACCEPTED, 1);
        loop.count(EventLoop.OPEN, 1);
        c.lastActivity = System.nanoTime();
        if (c.config.idleTimeoutNanos() > 0) {
            c.idleTimer = loop.scheduleAt(c.lastActivity + c.config.idleTimeoutNanos(), c::checkIdle);
        }
        if (!c.connecting) c.opened();
        return c;
    }

    private void opened() {
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
     * Whether queued output is at or under the high watermark (or has fallen back to the low
     * one). Any thread; off the loop a snapshot, as {@link Handler#onWritabilityChanged} reports
     * each change on the loop.
     * @return whether the handler may go on writing
     */
    public boolean isWritable() {
        return writable;
    }

    /**
     * Bytes accepted by {@link #write} and not yet taken by the socket. Any thread (a snapshot off the loop).
     * @return the queued byte count
     */
    public long queuedBytes() {
        return queued;
    }

    /**
     * Whether input is delivered to {@link Handler#onRead}. Any thread (a snapshot off the loop).
     * @return false while reading is paused
     */
    public boolean isReading() {
        return reading;
    }

    /**
     * Sends {@code data}: written at once as far as the socket takes it, the rest copied into
     * the queue. {@code data} may be reused as soon as this returns. Loop thread only.
     * <p>Once a write has met the peer's reset (EPIPE, ECONNRESET) the connection closes after
     * the current callback, with that error as {@link Handler#onClose} cause; until then further
     * writes are discarded and return false, since the handler could not have known.
     * @param data the bytes to send
     * @return {@link #isWritable()} after the write: false asks the caller to stop producing
     * @throws IllegalStateException if output was closed or shut down, if the queue would pass
     *         the reactor's {@code maxQueuedBytes} (a handler that ignores writability is closed
     *         rather than growing memory without bound), or if not called on the loop thread
     */
    public boolean write(MemorySegment data) {
        checkThread();
        if (outputBroken && !closed) return false;
        if (closed || closeRequested || shutdownOutputRequested) {
            throw new IllegalStateException("connection is closed for output");
        }
        long size = data.byteSize();
        if (size == 0) return writable;
        if (queued + size > config.maxQueuedBytes()) {
            throw new IllegalStateException("write of " + size + " bytes would queue " + (queued + size)
                    + " bytes, over the limit of " + config.maxQueuedBytes());
        }
        if (queueEmpty() && !waitingForOut) {
            long sent = writeDirect(data);
            if (sent == size) return writable;
            data = data.asSlice(sent);
        }
        enqueue(data);
        if (writable && queued > config.highWatermark()) {
            writable = false;
            handler.onWritabilityChanged(this, false);
        }
        return writable;
    }

    /**
     * Sends the remaining bytes of {@code data}, advancing its position; as {@link #write(MemorySegment)}. Loop thread only.
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
     * Sends {@code data}; as {@link #write(MemorySegment)}. Loop thread only.
     * @param data the bytes to send
     * @return as {@link #write(MemorySegment)}
     */
    public boolean write(byte[] data) {
        return write(MemorySegment.ofArray(data));
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

    /** Sends FIN once queued output is flushed; reading continues. Loop thread only. */
    public void shutdownOutput() {
        checkThread();
        if (closed || shutdownOutputRequested) return;
        shutdownOutputRequested = true;
        if (queueEmpty()) doShutdownOutput();
    }

    /**
     * Closes after queued output is flushed. Input is no longer delivered; what the peer still
     * sends is read and discarded for a short linger so that the kernel does not answer unread
     * data with a reset that could destroy the response in flight.
     * <p>The flush has a deadline ({@link Reactor.Builder#closeFlushTimeout}, 30 s by default):
     * a peer that stops reading cannot pin the connection and its queued output. At the
     * deadline the connection is reset as by {@link #abort()}, and {@link Handler#onClose} gets a
     * {@link TimeoutException} saying how many bytes were not flushed. Idempotent. Loop thread only.
     */
    public void close() {
        checkThread();
        if (closed || closeRequested) return;
        closeRequested = true;
        reading = false;
        if (queueEmpty()) {
            finishClose();
        } else {
            closeTimer = loop.scheduleAt(System.nanoTime() + config.closeFlushTimeoutNanos(), this::flushTimedOut);
        }
    }

    /** Closes now, discarding queued output, and resets the connection ({@code SO_LINGER 0}). Loop thread only. */
    public void abort() {
        checkThread();
        reset(null);
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
            if (progressed) lastActivity = System.nanoTime();
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
            loop.count(EventLoop.WRITTEN, total);
            closeLater(e);
            return size;
        }
        loop.count(EventLoop.WRITTEN, total);
        if (total > 0) lastActivity = System.nanoTime();
        return total;
    }

    private boolean queueEmpty() {
        return queue == null || queue.isEmpty();
    }

    private void enqueue(MemorySegment data) {
        if (queue == null) queue = new ArrayDeque<>(4);
        BufferPool pool = loop.pool;
        long offset = 0;
        long size = data.byteSize();
        BufferPool.Chunk tail = queue.peekLast();
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
        queued += size;
    }

    private void flush() throws IOException {
        if (iov == null) iov = new MemorySegment[MAX_IOV];
        MemorySegment[] vec = iov;
        while (!queueEmpty()) {
            int count = 0;
            long want = 0;
            for (BufferPool.Chunk c : queue) {
                if (count == MAX_IOV) break;
                vec[count++] = c.segment.asSlice(c.start, c.readable());
                want += c.readable();
            }
            long n;
            try {
                n = socket.write(vec, 0, count);
            } finally {
                Arrays.fill(vec, 0, count, null);
            }
            if (n == Descriptor.WOULD_BLOCK) {
                waitingForOut = true;
                return;
            }
            consume(n);
            loop.count(EventLoop.WRITTEN, n);
            if (n > 0) lastActivity = System.nanoTime();
            if (n < want) {
                waitingForOut = true;
                break;
            }
        }
        if (queueEmpty()) waitingForOut = false;
        // At or below, not strictly below: a low watermark of 0 means "writable once empty", and
        // the queue cannot go below 0.
        if (!writable && queued <= config.lowWatermark()) {
            writable = true;
            handler.onWritabilityChanged(this, true);
            if (closed) return;
        }
        if (queueEmpty()) {
            if (shutdownOutputRequested && !outputShutdown) doShutdownOutput();
            if (closeRequested) finishClose();
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
        if (closed) return;
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
        reading = false;
        discardQueue();
        loop.execute(() -> closeNow(cause));
    }

    private void checkIdle() {
        if (closed) return;
        long now = System.nanoTime();
        long idleUntil = lastActivity + config.idleTimeoutNanos();
        if (now - idleUntil >= 0) {
            closeNow(new TimeoutException("idle for " + (now - lastActivity) / 1_000_000 + " ms"));
        } else {
            idleTimer = loop.scheduleAt(idleUntil, this::checkIdle);
        }
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
        socket.close();   // also removes the fd from the epoll set: no epoll_ctl
        discardQueue();
        loop.count(EventLoop.OPEN, -1);
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
