package io.ffmepoll.blocking;

import io.ffmepoll.internal.sys.Leases;
import io.ffmepoll.socket.SocketDescriptor;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * What a blocking socket and a blocking listener share: the poller registration, the readiness
 * sequences the poller advances, the threads parked in each direction, and close.
 * <h2>Why no wake-up is lost</h2>
 * A call reads the direction's sequence <em>before</em> its non-blocking system call. If that
 * call says {@code EAGAIN}, the thread publishes itself as the direction's waiter and parks only
 * while the sequence still has the value read before the call. The poller advances the
 * sequence and then reads the waiter; both are volatile, so either the parking thread sees the
 * new sequence, or the poller sees the thread and unparks it (a permit given before
 * {@code park} makes it return at once). An edge the kernel reports between the
 * {@code EAGAIN} and the park is therefore never missed, and one that comes before the system
 * call is harmless: the call itself sees what the edge announced.
 * <h2>Close</h2>
 * {@link #close()} marks the socket closed, frees its token, closes the descriptor and unparks
 * both waiters, which throw {@link SocketException}. A parked thread holds the descriptor
 * (see {@code Descriptor}: a lease), so the real {@code close(2)} happens exactly once, when the
 * last blocked call is out, never under it.
 */
abstract sealed class Blocking implements AutoCloseable permits BlockingStream, BlockingListener {

    private static final VarHandle READER, WRITER, CLOSED;
    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            READER = l.findVarHandle(Blocking.class, "reader", Thread.class);
            WRITER = l.findVarHandle(Blocking.class, "writer", Thread.class);
            CLOSED = l.findVarHandle(Blocking.class, "closed", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Test seam: run after a call met EAGAIN and before its thread parks; null in production. */
    static volatile Runnable beforeParkHook;

    final SocketDescriptor socket;
    final Poller poller;
    /** Set by {@link Poller#register}, before the socket is added to the epoll set. */
    long token;
    /** Advanced by the poller thread (the only writer) on each read or write edge. */
    volatile int readSeq, writeSeq;
    /**
     * Set for good by the poller, before it advances readSeq, once an event said more than
     * "data": urgent data (EPOLLPRI), the peer's FIN (EPOLLRDHUP, EPOLLHUP) or an error. After
     * that a short read may be followed by the urgent byte's rest, EOF or the error, not EAGAIN.
     */
    volatile boolean notOnlyData;
    private volatile Thread reader, writer;
    private volatile boolean closed;

    /**
     * Registers {@code socket}; if that fails, closes it, so a failed constructor leaves no
     * descriptor open.
     */
    Blocking(SocketDescriptor socket) throws IOException {
        this.socket = socket;
        try {
            this.poller = Poller.next();
            poller.register(this);
        } catch (IOException | RuntimeException | Error e) {
            socket.close();
            throw e;
        }
    }

    /** Poller thread: a read edge. Whether a thread was unparked. */
    final boolean readReady() {
        readSeq = readSeq + 1;
        Thread t = reader;
        if (t == null) return false;
        LockSupport.unpark(t);
        return true;
    }

    /** Poller thread: a write edge. Whether a thread was unparked. */
    final boolean writeReady() {
        writeSeq = writeSeq + 1;
        Thread t = writer;
        if (t == null) return false;
        LockSupport.unpark(t);
        return true;
    }

    /**
     * Parks the calling thread until the read (or write) sequence differs from {@code seq}
     * (read before the call that met EAGAIN), the deadline passes, the socket closes or the
     * thread is interrupted.
     * @param deadline a {@link System#nanoTime()} value, or 0 for none
     * @param op what is waiting, for messages ("read", "accept")
     * @throws SocketTimeoutException at the deadline; the socket stays usable
     * @throws SocketException if the socket is closed, before or while parked
     * @throws InterruptedIOException if the thread is interrupted (its status stays set)
     * @throws IllegalStateException if another thread is already parked in this direction
     */
    final void await(boolean read, int seq, long deadline, String op) throws IOException {
        Runnable hook = beforeParkHook;
        if (hook != null) hook.run();
        Thread me = Thread.currentThread();
        Leases.Access leases = Leases.access();
        try {
            leases.acquire(socket);
        } catch (IllegalStateException e) {
            throw closedOr(e);
        }
        try {
            VarHandle waiter = read ? READER : WRITER;
            if (!waiter.compareAndSet(this, (Thread) null, me)) {
                throw new IllegalStateException("another thread is already blocked in " + (read ? "read" : "write")
                        + " on " + this);
            }
            try {
                boolean parked = false;
                while ((read ? readSeq : writeSeq) == seq) {
                    if (closed) throw closedException();
                    if (me.isInterrupted()) throw new InterruptedIOException(op + " interrupted");
                    if (!parked) {
                        parked = true;
                        Poller.PARKS.increment();
                    }
                    if (deadline == 0) {
                        LockSupport.park(this);
                    } else {
                        long left = deadline - System.nanoTime();
                        if (left <= 0) throw new SocketTimeoutException(op + " timed out");
                        LockSupport.parkNanos(this, left);
                    }
                }
            } finally {
                waiter.setVolatile(this, (Thread) null);
            }
        } finally {
            leases.release(socket);
        }
    }

    /** A deadline {@code timeoutNanos} from now for {@link #await}, 0 (none) for 0. */
    static long deadline(long timeoutNanos) {
        if (timeoutNanos == 0) return 0;
        long d = System.nanoTime() + timeoutNanos;
        return d == 0 ? 1 : d;
    }

    /** Throws the closed exception if closed. */
    final void ensureOpen() throws SocketException {
        if (closed) throw closedException();
    }

    /**
     * For an {@link IllegalStateException} from the descriptor: the closed exception if this
     * socket was closed (a close racing the call), else {@code e} itself, rethrown.
     */
    final SocketException closedOr(IllegalStateException e) {
        if (closed || !socket.isOpen()) {
            SocketException c = closedException();
            c.initCause(e);
            return c;
        }
        throw e;
    }

    private SocketException closedException() {
        return new SocketException(getClass().getSimpleName() + " closed");
    }

    /**
     * Whether {@link #close()} has not yet been called. Thread-safe.
     * @return {@code true} until the first {@link #close()}, {@code false} from then on (even
     *         while a blocked call is still leaving the descriptor)
     */
    public final boolean isOpen() {
        return !closed;
    }

    /**
     * Closes the socket. Idempotent and thread-safe: a thread blocked in this socket (reading,
     * writing, accepting, connecting) wakes with a {@link SocketException}, and the descriptor
     * is closed exactly once, after the last blocked call has left it.
     */
    @Override
    public final void close() {
        if (!CLOSED.compareAndSet(this, false, true)) return;
        try {
            poller.deregister(this);
            socket.close();
        } finally {
            Thread r = reader, w = writer;
            if (r != null) LockSupport.unpark(r);
            if (w != null) LockSupport.unpark(w);
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + socket + "]";
    }
}
