package io.ffmepoll.shared;

import io.ffmepoll.epoll.Descriptor;
import io.ffmepoll.epoll.Interest;
import io.ffmepoll.epoll.NativeIOException;
import io.ffmepoll.socket.StreamSocket;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.concurrent.CancellationException;

/**
 * A stream connection of a {@link SharedServer}, served by whichever worker takes its next event.
 * <h2>One thread at a time</h2>
 * The socket is registered with {@code EPOLLONESHOT}: the kernel reports it to one worker and
 * then disables it, so no other worker can be woken for it while that worker runs the handler.
 * When the run is over the worker re-arms it with {@code EPOLL_CTL_MOD}
 * ({@code IN | RDHUP | ONESHOT}, plus {@code OUT} while output is queued). {@code MOD} checks
 * readiness as it re-arms, so input that arrived after the last read and before the re-arm is
 * reported at once, not lost. On top of that, a state word taken with a compare-and-set decides
 * who runs the connection, so a worker still holding an event for it from an earlier arming, or
 * a thread calling {@link #close()}, can never run it beside its owner.
 * <h2>Backpressure</h2>
 * {@link #write(MemorySegment)} sends at once what the socket takes and copies the rest into a
 * queue. Above the high watermark the connection stops reading (its interest becomes
 * {@code OUT} only) until the queue drains to the low watermark; a write that would take the
 * queue past the hard bound closes the connection instead of growing without bound.
 * <h2>Threads</h2>
 * {@link #write}, {@link #isWritable()} and {@link #queuedBytes()} may be called only by the
 * thread running one of this connection's handler callbacks, during that callback (elsewhere
 * they throw {@link IllegalStateException}). {@link #close()}, {@link #isOpen()},
 * {@link #attach}, {@link #attachment()} and {@link #socket()} may be called from any thread.
 * {@snippet :
 * public void onRead(SharedConnection c, MemorySegment request) {
 *     c.write(RESPONSE);     // sent now, or queued and sent when the socket takes it
 *     c.close();             // once the queue is flushed
 * }
 * }
 */
public final class SharedConnection {

    // State word: who runs the connection, and what has been asked of it.
    /** A thread runs the connection (a worker, or a closing thread that found it idle). */
    private static final int RUNNING = 1;
    /** A close was asked for: flush the queue, then close. */
    private static final int CLOSE_REQUESTED = 2;
    /** Closed: every later event for it is dropped. */
    private static final int CLOSED = 4;
    /** A shutdown's grace period ran out: close as soon as the owner's callback returns. */
    private static final int ABORTED = 8;
    private static final VarHandle STATE;
    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(SharedConnection.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final int IN = Interest.IN.bits(), OUT = Interest.OUT.bits(), RDHUP = Interest.RDHUP.bits(),
            ONESHOT = Interest.ONESHOT.bits(), HUP = Interest.HUP.bits(), ERR = Interest.ERR.bits();
    /** The first arming: a fresh socket is writable, so the first event comes at once, to a worker that runs onOpen. */
    static final Interest FIRST_INTEREST = Interest.of(Interest.OUT, Interest.ONESHOT);

    private final SharedServer server;
    private final StreamSocket socket;
    private final SharedHandler handler;
    /** generation << 32 | slot, from the {@link ConnectionTable}; set once before the socket is registered. */
    long token;

    private volatile int state;
    /** The thread running a callback of this connection, or null. */
    private volatile Thread owner;
    private volatile Object attachment;

    // Owner-only fields: the state word's compare-and-set hands them from run to run.
    private boolean opened;
    private boolean inputClosed;
    /** Above the high watermark: no reads until the queue is at the low watermark. */
    private boolean paused;
    /** Why a write gave up on the connection; the close that follows reports it. */
    private Throwable failure;
    private ArrayDeque<byte[]> queue;
    private int headOffset;
    private long queued;

    SharedConnection(SharedServer server, StreamSocket socket, SharedHandler handler) {
        this.server = server;
        this.socket = socket;
        this.handler = handler;
    }

    /**
     * The socket, for its addresses and options. Its I/O belongs to this connection. Any thread.
     * @return the accepted socket this connection runs on
     */
    public StreamSocket socket() {
        return socket;
    }

    /**
     * Whether the connection is not closed yet. Any thread.
     * @return {@code true} until the descriptor is closed, including while a requested close
     *         waits for queued output to flush
     */
    public boolean isOpen() {
        return (state & CLOSED) == 0;
    }

    /**
     * Stores an object of the caller's, such as per-connection state a handler shared by
     * several connections needs; any thread.
     * @param value the object to keep, replacing the previous one; null clears it
     */
    public void attach(Object value) {
        attachment = value;
    }

    /**
     * The object last {@linkplain #attach attached}; any thread.
     * @return that object, or null if none was attached
     */
    public Object attachment() {
        return attachment;
    }

    /**
     * Sends {@code data}, queuing a copy of what the socket does not take at once; the queued
     * bytes go out when the socket reports {@code OUT}. Owner thread only (see Threads).
     * <p>A write that would take the queue past the server's {@code maxQueuedBytes}, or that
     * meets an error such as {@code EPIPE} or {@code ECONNRESET}, discards the queue and closes
     * the connection after the callback returns, with that error as the cause of
     * {@link SharedHandler#onClose}. A write after {@link #close()} (or a shutdown) asked for the
     * close is still sent: the close follows the flush.
     * @param data the bytes to send; read during this call only, so the caller may reuse it
     *         (the worker's read buffer too) once it returns
     * @return whether the queue is at or under the high watermark (false: the connection has
     *         stopped reading until the peer catches up)
     * @throws IllegalStateException if called outside one of this connection's callbacks
     */
    public boolean write(MemorySegment data) {
        checkOwner();
        // Still accepted after a close request: the close comes after the flush, and a shutdown
        // asks for it while a handler may be computing its reply.
        if (failure != null || (state & CLOSED) != 0) return false;
        long offset = 0, size = data.byteSize();
        try {
            if (queued == 0) {
                while (offset < size) {
                    int n = socket.write(data.asSlice(offset));
                    if (n == Descriptor.WOULD_BLOCK) break;
                    offset += n;
                }
            }
        } catch (NativeIOException | IllegalStateException e) {
            fail(e);
            return false;
        }
        long rest = size - offset;
        if (rest > 0) {
            if (queued + rest > server.maxQueuedBytes) {
                fail(new IOException("output queue would exceed " + server.maxQueuedBytes + " bytes"));
                return false;
            }
            if (queue == null) queue = new ArrayDeque<>();
            queue.add(data.asSlice(offset).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            queued += rest;
            if (queued > server.highWatermark) paused = true;
        }
        return !paused;
    }

    /**
     * Whether the connection reads on: queued output over the high watermark stops reading
     * until it drains to the low watermark. Owner thread only.
     * @return {@code false} from when queued output passed the high watermark until it drained
     *         to the low watermark, else {@code true}
     * @throws IllegalStateException if called outside one of this connection's callbacks
     */
    public boolean isWritable() {
        checkOwner();
        return !paused;
    }

    /**
     * Bytes queued and not yet taken by the socket. Owner thread only.
     * @return the queued bytes, at most the server's {@code maxQueuedBytes}
     * @throws IllegalStateException if called outside one of this connection's callbacks
     */
    public long queuedBytes() {
        checkOwner();
        return queued;
    }

    /**
     * Closes the connection once queued output is flushed; reading stops now. Idempotent, any
     * thread. From a callback, the close happens after it returns. From another thread while a
     * worker runs the connection, that worker closes it when its callback returns; while no
     * worker runs it, the calling thread flushes what the socket takes and closes it itself (or
     * leaves the rest of the flush to a worker), calling {@link SharedHandler#onClose} there.
     */
    public void close() {
        for (;;) {
            int s = state;
            if ((s & (CLOSED | CLOSE_REQUESTED)) != 0) return;
            if ((s & RUNNING) != 0) {
                if (STATE.compareAndSet(this, s, s | CLOSE_REQUESTED)) return;   // the owner closes it
            } else if (STATE.compareAndSet(this, s, s | RUNNING | CLOSE_REQUESTED)) {
                // Idle: ours now. A worker holding a stale event for it will find it running or closed.
                Runnable hook = server.afterCloseTakesOver;
                if (hook != null) hook.run();
                owner = Thread.currentThread();
                try {
                    flush();
                } catch (Throwable t) {
                    closeNow(t);
                    return;
                } finally {
                    owner = null;
                }
                release(0);
                return;
            }
        }
    }

    /**
     * Closes at once from any thread at the end of a shutdown's grace period. An idle connection
     * is closed here; one a worker runs has its socket closed under it, so that its handler's
     * I/O fails and the worker closes the connection when the callback returns.
     */
    void abort() {
        for (;;) {
            int s = state;
            if ((s & CLOSED) != 0) return;
            if ((s & RUNNING) == 0) {
                if (STATE.compareAndSet(this, s, s | RUNNING | CLOSE_REQUESTED)) {
                    closeNow(new CancellationException("shutdown grace period over"));
                    return;
                }
            } else if (STATE.compareAndSet(this, s, s | CLOSE_REQUESTED | ABORTED)) {
                socket.close();   // deferred by the descriptor until the owner's call in flight returns
                return;
            }
        }
    }

    /**
     * Takes the connection for a worker that got an event for it: false if another thread runs
     * it or it is closed (the event is then dropped: the owner re-arms after its run, and
     * {@code MOD} reports whatever is still ready).
     */
    boolean tryAcquire() {
        for (;;) {
            int s = state;
            if ((s & (RUNNING | CLOSED)) != 0) return false;
            if (STATE.compareAndSet(this, s, s | RUNNING)) return true;
        }
    }

    /** One run on a worker that {@linkplain #tryAcquire() acquired} the connection; re-arms it after. */
    void run(int events, MemorySegment readBuffer) {
        owner = Thread.currentThread();
        try {
            if (!opened) {
                opened = true;
                handler.onOpen(this);
            }
            flush();
            if (!inputClosed) read(readBuffer);
            if ((events & (HUP | ERR)) != 0 && failure == null && (inputClosed || paused)) {
                // The kernel keeps reporting HUP/ERR (they cannot be masked): nothing more can
                // come from this connection, and re-arming would report it again at once.
                failure = new IOException("connection hung up (" + Interest.describe(events) + ")");
            }
        } catch (Throwable t) {
            owner = null;
            closeNow(t);
            return;
        } finally {
            owner = null;
        }
        release(events);
    }

    /** Reads until the socket has nothing (EAGAIN), the peer's EOF, a close request, or the read budget. */
    private void read(MemorySegment buffer) throws NativeIOException {
        int budget = server.readBudget;
        while (budget > 0 && !paused && failure == null && (state & CLOSE_REQUESTED) == 0) {
            int n = socket.read(buffer);
            if (n == Descriptor.WOULD_BLOCK) return;
            if (n == Descriptor.EOF) {
                inputClosed = true;
                handler.onEndOfInput(this);
                return;
            }
            budget -= n;
            handler.onRead(this, buffer.asSlice(0, n));
        }
        // Budget spent with input left: the re-arm reports it again, after other connections had a turn.
    }

    /** Sends queued output until the socket refuses more; resumes reading at the low watermark. */
    private void flush() throws NativeIOException {
        while (queued > 0 && failure == null) {
            byte[] head = queue.peek();
            int n = socket.write(head, headOffset, head.length - headOffset);
            if (n == Descriptor.WOULD_BLOCK) break;
            queued -= n;
            headOffset += n;
            if (headOffset == head.length) {
                queue.poll();
                headOffset = 0;
            }
        }
        if (paused && queued <= server.lowWatermark) paused = false;
    }

    /**
     * Ends a run: closes the connection if that was asked for and the queue is flushed, else
     * hands it back (state word first) and re-arms it. The order matters: re-armed first, an
     * event could reach another worker while this one still held the connection, be dropped,
     * and be lost with the one-shot arming it used up.
     */
    private void release(int events) {
        for (;;) {
            int s = state;
            if ((s & CLOSED) != 0) return;
            if (failure != null || (s & ABORTED) != 0) {
                closeNow(failure);
                return;
            }
            boolean closing = (s & CLOSE_REQUESTED) != 0;
            if (closing && queued == 0) {
                closeNow(null);
                return;
            }
            int interest = ONESHOT;
            if (queued > 0) interest |= OUT;
            if (!closing && !inputClosed && !paused) interest |= IN | RDHUP;
            if (!STATE.compareAndSet(this, s, s & ~RUNNING)) continue;   // a close request came in: look again
            server.rearm(this, interest);
            return;
        }
    }

    /** Closes now; the caller runs the connection. */
    void closeNow(Throwable cause) {
        int s = (int) STATE.getAndSet(this, CLOSED | RUNNING);
        if ((s & CLOSED) != 0) return;
        if ((s & ABORTED) != 0) cause = new CancellationException("shutdown grace period over");
        queue = null;
        queued = 0;
        socket.close();
        server.closed(this);
        if (opened) {
            try {
                handler.onClose(this, cause);
            } catch (Throwable t) {
                SharedServer.log(System.Logger.Level.WARNING, "onClose threw", t);
            }
        }
    }

    /** Gives up on the connection: the queue is dropped and the close reports {@code cause}. */
    private void fail(Throwable cause) {
        failure = cause;
        queue = null;
        queued = 0;
        headOffset = 0;
    }

    private void checkOwner() {
        if (owner != Thread.currentThread()) {
            throw new IllegalStateException("only the thread running this connection's callback may do this");
        }
    }

    SharedHandler handler() {
        return handler;
    }

    @Override
    public String toString() {
        return "SharedConnection[" + socket + (isOpen() ? "" : ", closed") + "]";
    }
}
