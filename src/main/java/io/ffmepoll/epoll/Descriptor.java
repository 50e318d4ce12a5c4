package io.ffmepoll.epoll;

import io.ffmepoll.internal.gen.Linux;
import io.ffmepoll.internal.sys.IoScratch;
import io.ffmepoll.internal.sys.Leases;
import io.ffmepoll.internal.sys.NativeAccess;
import io.ffmepoll.internal.sys.NativeScratch;
import io.ffmepoll.internal.sys.Sys;
import io.ffmepoll.socket.ReceivedDescriptor;
import io.ffmepoll.socket.SocketDescriptor;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Objects;

/**
 * An open file descriptor with exactly one owner: this object.
 * <p>{@link #close()} is idempotent and thread-safe. Using a descriptor after close throws
 * {@link IllegalStateException}, and no operation ever reaches a reused fd number: every call
 * {@linkplain #acquire() acquires} the descriptor for its duration, and a close that races with
 * calls in flight only marks it closed; the last call to finish performs the real
 * {@code close(2)}. The fd number is therefore never recycled by the kernel while one of our
 * calls could still use it. A close that may block in the kernel (a socket with
 * {@code SO_LINGER}) is done by a daemon closer thread, never by the caller.
 * <p>Subclasses open their fds with {@code CLOEXEC} and {@code NONBLOCK}. The hierarchy is
 * sealed: only this library makes descriptors, each over a number it opened or received, so no
 * other code can wrap (and then close) a number it does not own.
 * {@snippet :
 * try (EventFd wake = EventFd.open()) {   // any Descriptor
 *     wake.signal(1);
 * }                                        // closed exactly once
 * }
 */
public abstract sealed class Descriptor implements AutoCloseable
        permits Epoll, EventFd, TimerFd, Pipe.End, SocketDescriptor, ReceivedDescriptor {

    static {
        NativeAccess.check();   // before anything reaches the bindings: a denial names its flag
    }

    /** An I/O result: end of stream. */
    public static final int EOF = -1;
    /** An I/O result: the call would block ({@code EAGAIN}); try again after readiness. */
    public static final int WOULD_BLOCK = -2;

    private static final VarHandle STATE;
    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(Descriptor.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
    private static final int CLOSED = 1 << 31;

    static {
        Leases.install(new Leases.Access() {
            @Override
            public int acquire(Object descriptor) {
                return ((Descriptor) descriptor).acquire();
            }

            @Override
            public void release(Object descriptor) {
                ((Descriptor) descriptor).release();
            }
        });
    }

    private final int fd;
    /** Bit 31: closed; bits 0-30: calls in flight. */
    private volatile int state;
    /** Set by {@link #detach()}: closed for use, the fd handed back rather than closed. */
    private volatile boolean detached;
    /**
     * An error the kernel reported after a heap-staged call had already moved bytes: those bytes
     * are returned first and the error is thrown by the next call, so it is never lost (the
     * kernel reports a socket error such as ECONNRESET only once). I/O on one descriptor is one
     * thread at a time, so a plain field.
     */
    private int deferredErrno;

    /**
     * Takes ownership of {@code fd}, which must be open.
     * @param fd an open descriptor number that nothing else will close
     */
    protected Descriptor(int fd) {
        if (fd < 0) throw new IllegalArgumentException("not a file descriptor: " + fd);
        this.fd = fd;
    }

    /**
     * The fd number, for logging and for handing to code that does not outlive this object.
     * @return the descriptor number
     * @throws IllegalStateException if closed
     */
    public final int fd() {
        if (state < 0) throw closed();
        return fd;
    }

    /**
     * Whether {@link #close()} has not been called.
     * @return whether the descriptor is open; a call racing with {@code close()} may still see true
     */
    public final boolean isOpen() {
        return state >= 0;
    }

    /**
     * Marks the descriptor in use and returns its number; pair with {@link #release()} in a
     * finally block.
     * @return the descriptor number, valid until the matching {@link #release()}
     * @throws IllegalStateException if closed
     */
    protected final int acquire() {
        for (;;) {
            int s = state;
            if (s < 0) throw closed();
            if (STATE.compareAndSet(this, s, s + 1)) return fd;
        }
    }

    /**
     * Ends a use begun with {@link #acquire()}; closes the fd if a close came meanwhile.
     * @throws IllegalStateException if no use is in flight (a release without its acquire),
     *         leaving the state as it was: decrementing a zero count would borrow from the
     *         closed bit and make a closed descriptor look open
     */
    protected final void release() {
        for (;;) {
            int s = state;
            if ((s & ~CLOSED) == 0) throw new IllegalStateException("release() without acquire() on " + this);
            if (STATE.compareAndSet(this, s, s - 1)) {
                if (s - 1 == CLOSED) closeNow();
                return;
            }
        }
    }

    /**
     * Closes the descriptor. Idempotent and thread-safe; if calls are in flight the fd is closed
     * when the last of them returns.
     */
    @Override
    public final void close() {
        for (;;) {
            int s = state;
            if (s < 0) return;
            if (STATE.compareAndSet(this, s, s | CLOSED)) {
                if (s == 0) closeNow();
                return;
            }
        }
    }

    private void closeNow() {
        try {
            beforeClose();
        } finally {
            // A close(2) that may block (SO_LINGER) goes to a closer thread: this may be an
            // event loop, or a thread releasing an unrelated call that raced with close().
            if (closeMayBlock(fd)) {
                Closer.close(this);
            } else {
                closeFd();
            }
        }
    }

    /** The close(2) itself and the after-close step, on the closing thread or a closer thread. */
    final void closeFd() {
        try {
            // Linux releases the fd even when close fails (EINTR included), so never retry:
            // a retry could close an fd another thread has just been given.
            Sys.close(fd);
        } finally {
            afterClose();
        }
    }

    /** Called once, just before the fd is closed; the fd is still valid. */
    protected void beforeClose() {}

    /**
     * Hands ownership of the fd back to the caller: this object is closed for use from now on
     * (every operation throws {@link IllegalStateException}, a second {@code detach()} too) and
     * the fd stays open; closing it is the caller's job. A later {@link #close()} does nothing,
     * so a try-with-resources around a detached descriptor never closes the number it gave away.
     * <p>Nothing but the fd changes hands and nothing else is undone: an epoll registration
     * stays with the open file, and a Unix socket's bound path is not removed. Detach only what
     * you own: a socket a reactor {@code Connection}, a blocking stream or a shared server hands
     * out through {@code socket()} belongs to that object, which would fail on its next use.
     * Thread-safe; refused while another thread's call on this descriptor is in flight, since
     * that call would use a number this object no longer owns.
     * {@snippet :
     * EventFd wake = EventFd.open();
     * int fd = wake.detach();     // wake is closed for use; fd is ours to close
     * wake.close();               // does nothing
     * }
     * @return the descriptor number, now owned by the caller
     * @throws IllegalStateException if already closed or detached, or if a call is in flight
     */
    public final int detach() {
        for (;;) {
            int s = state;
            if (s < 0) throw closed();
            if (s != 0) throw new IllegalStateException(this + " is in use by another call: detach after it returns");
            // CLOSED with no call in flight and no close pending: close() and release() never
            // reach closeNow() from here, so the fd is never closed by this object.
            if (STATE.compareAndSet(this, 0, CLOSED)) {
                detached = true;
                return fd;
            }
        }
    }

    /**
     * Whether {@code close(2)} of {@code fd} (still open, about to be closed) may block, as a
     * socket with {@code SO_LINGER} does; if so the close runs on a closer thread instead of
     * the caller's. The default: no.
     * @param fd this descriptor's number
     * @return whether {@code close(2)} must run on the closer thread
     */
    protected boolean closeMayBlock(int fd) {
        return false;
    }

    /** Called once, after the fd is closed (maybe on a closer thread): free what the descriptor owned. */
    protected void afterClose() {}

    // ---- poll(2) on this one descriptor

    /** Readiness flags and their poll(2) bits, pairwise: IN, PRI, OUT, RDHUP, ERR, HUP. */
    private static final Interest[] POLL_FLAGS = {Interest.IN, Interest.PRI, Interest.OUT, Interest.RDHUP,
            Interest.ERR, Interest.HUP};
    private static final int[] POLL_BITS = {Linux.POLLIN(), Linux.POLLPRI(), Linux.POLLOUT(), Linux.POLLRDHUP(),
            Linux.POLLERR(), Linux.POLLHUP()};
    private static final Interest MODES = Interest.of(Interest.ET, Interest.ONESHOT, Interest.EXCLUSIVE,
            Interest.WAKEUP);

    /**
     * Waits until this descriptor is ready for some of {@code interest}, at most {@code timeout}
     * ({@code ppoll(2)} on this one fd): for code that has a single descriptor to wait for and no
     * {@link Epoll}, such as a blocking helper or a test. The timeout has nanosecond precision;
     * a timeout too long for a long of nanoseconds, such as {@code ChronoUnit.FOREVER}, waits
     * forever. {@link Interest#ERR} and {@link Interest#HUP} are reported whether asked for or not.
     * <p>A signal that interrupts the wait makes it return null, as a timeout does, following
     * the library's {@code EINTR} policy (see {@link Errors}): the caller's loop recomputes its
     * deadline. Thread-safe; it blocks the calling thread (a virtual thread pins its carrier
     * for the wait), so never call it with a timeout on an event-loop thread.
     * {@snippet :
     * try (Pipe pipe = Pipe.open()) {
     *     Interest ready = pipe.source().poll(Interest.IN, Duration.ofMillis(10));
     *     assert ready == null;                   // nothing written yet: timed out
     *     pipe.sink().write(MemorySegment.ofArray(new byte[] {1}));
     *     ready = pipe.source().poll(Interest.IN, ChronoUnit.FOREVER.getDuration());
     *     assert ready.contains(Interest.IN);
     * }
     * }
     * @param interest readiness flags only ({@link Interest#IN}, {@link Interest#OUT},
     *        {@link Interest#PRI}, {@link Interest#RDHUP}, {@link Interest#ERR}, {@link Interest#HUP})
     * @param timeout the longest wait; {@link Duration#ZERO} only looks
     * @return the flags that are ready, or null when the timeout passed or a signal came first
     * @throws IllegalArgumentException if {@code timeout} is negative or {@code interest} holds
     *         a mode flag ({@link Interest#ET}, {@link Interest#ONESHOT}, {@link Interest#EXCLUSIVE},
     *         {@link Interest#WAKEUP}), which mean nothing to {@code poll(2)}
     * @throws IllegalStateException if closed
     * @throws NativeIOException if {@code ppoll} fails (ENOMEM)
     */
    public final Interest poll(Interest interest, Duration timeout) throws NativeIOException {
        if (timeout.isNegative()) throw new IllegalArgumentException("negative timeout: " + timeout);
        return pollNanos(interest, Nanos.saturated(timeout));
    }

    /**
     * As {@link #poll(Interest, Duration)}, with the timeout in nanoseconds: a negative value or
     * {@link Epoll#FOREVER} waits forever, with no timeout passed to the kernel at all, so no
     * duration overflows on its way there. Thread-safe, as {@code poll}.
     * @param interest readiness flags only, as for {@link #poll(Interest, Duration)}
     * @param timeoutNanos the longest wait in nanoseconds; 0 only looks
     * @return the flags that are ready, or null when the timeout passed or a signal came first
     * @throws IllegalArgumentException if {@code interest} holds a mode flag
     * @throws IllegalStateException if closed
     * @throws NativeIOException if {@code ppoll} fails (ENOMEM)
     */
    public final Interest pollNanos(Interest interest, long timeoutNanos) throws NativeIOException {
        int want = 0;
        for (int i = 0; i < POLL_FLAGS.length; i++) {
            if (interest.contains(POLL_FLAGS[i])) want |= POLL_BITS[i];
        }
        if ((interest.bits() & MODES.bits()) != 0) {
            throw new IllegalArgumentException("poll takes readiness flags only, not " + interest);
        }
        long nanos = timeoutNanos == Epoll.FOREVER ? -1 : timeoutNanos;
        NativeScratch s = NativeScratch.current();
        int fd = acquire();
        int r;
        try {
            r = Sys.pollOne(s, fd, (short) want, nanos);
        } finally {
            release();
        }
        if (r == 0 || r == -Errors.EINTR) return null;
        if (r < 0) throw Errors.exception("ppoll", r);
        int revents = Short.toUnsignedInt(io.ffmepoll.internal.gen.pollfd.revents(s.pollfd));
        // POLLNVAL cannot come while the fd is held, but if it did it would mean a closed fd.
        if ((revents & Linux.POLLNVAL()) != 0) throw Errors.exception("ppoll", -Errors.EBADF);
        int ready = 0;
        for (int i = 0; i < POLL_FLAGS.length; i++) {
            if ((revents & POLL_BITS[i]) != 0) ready |= POLL_FLAGS[i].bits();
        }
        return Interest.ofBits(ready);
    }

    // ---- byte I/O: the one implementation behind every descriptor kind's reads and writes

    /** How a descriptor kind moves bytes through {@link #readBytes} and {@link #writeBytes}. */
    protected enum Transfer {
        /** {@code read(2)}/{@code write(2)}, for pipes and other files: a byte stream. */
        FILE(true, "read", "write"),
        /** {@code recv(2)}/{@code send(2)} with {@code MSG_NOSIGNAL}, on a stream socket. */
        STREAM_SOCKET(true, "recv", "send"),
        /**
         * One datagram per call, {@code recv}/{@code send} with {@code MSG_NOSIGNAL}: 0 bytes is
         * an empty datagram, never end of stream, and heap memory is staged whole.
         */
        DATAGRAM_SOCKET(false, "recv", "send");

        final boolean stream;
        final String readCall;
        final String writeCall;

        Transfer(boolean stream, String readCall, String writeCall) {
            this.stream = stream;
            this.readCall = readCall;
            this.writeCall = writeCall;
        }
    }

    private static final int MSG_NOSIGNAL = Linux.MSG_NOSIGNAL();

    /** One read(2)/recv(2) ({@code in}) or write(2)/send(2): n or -errno. */
    private static long move(Transfer how, boolean in, int fd, MemorySegment buf, long count) {
        if (how == Transfer.FILE) return in ? Sys.read(fd, buf, count) : Sys.write(fd, buf, count);
        return in ? Sys.recv(fd, buf, count, 0) : Sys.send(fd, buf, count, MSG_NOSIGNAL);
    }

    /**
     * Reads into {@code dst} (from offset 0, up to its size): native memory goes to the kernel
     * as the call's argument, heap memory through native staging. A stream reads staged memory
     * in chunks until the kernel has no more, so a short count still means "nothing more now";
     * a datagram is staged whole, never cut at the staging size.
     * @param dst where the bytes go
     * @param how stream or datagram semantics, which decide how heap memory is staged
     * @return bytes read; {@link #EOF} for a stream when 0 bytes came into a non-empty
     *         destination; {@link #WOULD_BLOCK}
     * @throws IllegalArgumentException if {@code dst} is read-only
     * @throws NativeIOException any error but {@code EAGAIN}, or one deferred from the previous call
     */
    protected final int readBytes(MemorySegment dst, Transfer how) throws NativeIOException {
        writable(dst);
        return dst.isNative() ? directRead(dst, how) : staged(dst, how, true);
    }

    /**
     * Writes from {@code src} (all of it, from offset 0), staging heap memory like
     * {@link #readBytes(MemorySegment, Transfer)}: a stream in chunks, a datagram whole.
     * @param src the bytes to write
     * @param how stream or datagram semantics, as for reading
     * @return bytes written (possibly fewer than offered) or {@link #WOULD_BLOCK}
     * @throws NativeIOException any error but {@code EAGAIN} ({@code EPIPE}, {@code ECONNRESET}...)
     */
    protected final int writeBytes(MemorySegment src, Transfer how) throws NativeIOException {
        return src.isNative() ? directWrite(src, how) : staged(src, how, false);
    }

    /*
     * Native memory goes to the kernel as the call's own argument. One small method per
     * direction, each with a single call of the kind's system call: it must inline into the
     * caller, so that a segment the caller sliced for the call is never allocated (the reactor
     * echoes with no allocation per message). A shared method with both directions compiles
     * to code too big to inline, and the slice escapes.
     */

    private int directRead(MemorySegment dst, Transfer how) throws NativeIOException {
        if (deferredErrno != 0) throwDeferred(how.readCall);
        long want = Math.min(dst.byteSize(), Integer.MAX_VALUE);
        int fd = acquire();
        long r;
        try {
            r = how == Transfer.FILE ? Sys.read(fd, dst, want) : Sys.recv(fd, dst, want, 0);
        } finally {
            release();
        }
        return ioResult(how.readCall, r, want, how.stream);
    }

    private int directWrite(MemorySegment src, Transfer how) throws NativeIOException {
        if (deferredErrno != 0) throwDeferred(how.writeCall);
        long want = Math.min(src.byteSize(), Integer.MAX_VALUE);
        int fd = acquire();
        long r;
        try {
            r = how == Transfer.FILE ? Sys.write(fd, src, want) : Sys.send(fd, src, want, MSG_NOSIGNAL);
        } finally {
            release();
        }
        return ioResult(how.writeCall, r, want, false);
    }

    /** Heap memory into ({@code in}) or out of the kernel through staging. */
    private int staged(MemorySegment user, Transfer how, boolean in) throws NativeIOException {
        String call = in ? how.readCall : how.writeCall;
        throwDeferred(call);
        long want = Math.min(user.byteSize(), Integer.MAX_VALUE);
        IoScratch io = IoScratch.take();
        try {
            int fd = acquire();
            try {
                if (how.stream) return transferStaged(io, fd, user, want, how, in);
                // One datagram per call (another call would take or make the next message),
                // so staging the whole of it: the pooled area, or a temporary for a larger one.
                MemorySegment staging = io.staging(want);
                if (!in) MemorySegment.copy(user, 0, staging, 0, want);
                long r = move(how, in, fd, staging, want);
                if (in && r > 0) MemorySegment.copy(staging, 0, user, 0, r);
                return ioResult(call, r, want, false);
            } finally {
                release();
            }
        } finally {
            io.release();
        }
    }

    /**
     * A stream through staging, chunk by chunk while the kernel takes or gives whole chunks, so
     * that a short count still means the kernel had no more room or data (what an
     * edge-triggered caller relies on).
     */
    private int transferStaged(IoScratch io, int fd, MemorySegment user, long want, Transfer how, boolean in)
            throws NativeIOException {
        long done = 0;
        while (done < want) {
            long chunk = Math.min(want - done, IoScratch.STAGING_SIZE);
            if (!in) MemorySegment.copy(user, done, io.staging, 0, chunk);
            long r = move(how, in, fd, io.staging, chunk);
            if (r > 0) {
                if (in) MemorySegment.copy(io.staging, 0, user, done, r);
                done += r;
                if (r < chunk) break;
                continue;
            }
            if (done == 0) return ioResult(in ? how.readCall : how.writeCall, r, want, in);
            deferError(r);
            break;   // EOF and EAGAIN show again on the next call
        }
        return (int) done;
    }

    /**
     * As {@link #readBytes(MemorySegment, Transfer)}, between position and limit, advancing the position.
     * @param dst the buffer to fill
     * @param how stream or datagram semantics
     * @return as {@link #readBytes(MemorySegment, Transfer)}
     * @throws NativeIOException as {@link #readBytes(MemorySegment, Transfer)}
     */
    protected final int readBytes(ByteBuffer dst, Transfer how) throws NativeIOException {
        int n = readBytes(MemorySegment.ofBuffer(dst), how);
        if (n > 0) dst.position(dst.position() + n);
        return n;
    }

    /**
     * As {@link #readBytes(MemorySegment, Transfer)}, into {@code dst[offset, offset+length)}.
     * @param dst the array to fill
     * @param offset where in {@code dst} the bytes go
     * @param length at most this many bytes
     * @param how stream or datagram semantics
     * @return as {@link #readBytes(MemorySegment, Transfer)}
     * @throws NativeIOException as {@link #readBytes(MemorySegment, Transfer)}
     */
    protected final int readBytes(byte[] dst, int offset, int length, Transfer how) throws NativeIOException {
        return readBytes(heap(dst, offset, length), how);
    }

    /**
     * As {@link #writeBytes(MemorySegment, Transfer)}, between position and limit, advancing the position.
     * @param src the buffer to send from
     * @param how stream or datagram semantics
     * @return as {@link #writeBytes(MemorySegment, Transfer)}
     * @throws NativeIOException as {@link #writeBytes(MemorySegment, Transfer)}
     */
    protected final int writeBytes(ByteBuffer src, Transfer how) throws NativeIOException {
        int n = writeBytes(MemorySegment.ofBuffer(src), how);
        if (n > 0) src.position(src.position() + n);
        return n;
    }

    /**
     * As {@link #writeBytes(MemorySegment, Transfer)}, from {@code src[offset, offset+length)}.
     * @param src the array to send from
     * @param offset the first byte to send
     * @param length how many bytes to send
     * @param how stream or datagram semantics
     * @return as {@link #writeBytes(MemorySegment, Transfer)}
     * @throws NativeIOException as {@link #writeBytes(MemorySegment, Transfer)}
     */
    protected final int writeBytes(byte[] src, int offset, int length, Transfer how) throws NativeIOException {
        return writeBytes(heap(src, offset, length), how);
    }

    /**
     * Maps a byte count or {@code -errno}: n, 0 ({@link #EOF} for a stream reading into a
     * non-empty destination), {@link #WOULD_BLOCK}, or the exception naming {@code call}.
     * @param call the system call, named in the exception
     * @param r the call's result: a byte count or {@code -errno}
     * @param want the bytes asked for: 0 means an empty destination, whose 0 is not end of stream
     * @param stream whether 0 bytes means end of stream
     * @return the count, {@link #EOF} or {@link #WOULD_BLOCK}
     * @throws NativeIOException for any {@code -errno} but {@code -EAGAIN}
     */
    protected static int ioResult(String call, long r, long want, boolean stream) throws NativeIOException {
        if (r > 0) return (int) r;
        if (r == 0) return stream && want > 0 ? EOF : 0;
        if (r == -Errors.EAGAIN) return WOULD_BLOCK;
        throw Errors.exception(call, r);
    }

    /**
     * Reads an 8-byte counter (eventfd, timerfd): the value as unsigned 64 bits, or 0 when the
     * counter is 0 ({@code EAGAIN}). {@code call} names the call in an exception's message.
     */
    final long readCounter(String call) throws NativeIOException {
        int fd = acquire();
        try {
            NativeScratch s = NativeScratch.current();
            int r = Sys.readLong(s, fd);
            if (r == -Errors.EAGAIN) return 0;
            if (r < 0) throw Errors.exception(call, r);
            return s.getLong(NativeScratch.LONG);
        } finally {
            release();
        }
    }

    /**
     * Keeps the error {@code r} (a {@code -errno} other than EAGAIN; anything else is ignored) of
     * a call that came after bytes had already moved, for the next call to throw.
     * @param r the failed call's result
     */
    protected final void deferError(long r) {
        if (r < 0 && r != -Errors.EAGAIN) deferredErrno = (int) -r;
    }

    /**
     * Throws the error {@link #deferError kept} by an earlier call, once, as {@code call}'s.
     * @param call the call to name in the exception
     * @throws NativeIOException the kept error, if there is one
     */
    protected final void throwDeferred(String call) throws NativeIOException {
        int errno = deferredErrno;
        if (errno != 0) {
            deferredErrno = 0;
            throw Errors.exception(call, -errno);
        }
    }

    /**
     * Refuses a read-only destination: the kernel would write into it anyway, since a downcall
     * passes only the address.
     * @param dst the destination of a read
     * @throws IllegalArgumentException if {@code dst} is read-only
     */
    protected static void writable(MemorySegment dst) {
        if (dst.isReadOnly()) throw new IllegalArgumentException("destination is read-only");
    }

    /**
     * A segment over {@code bytes[offset, offset+length)}, bounds checked.
     * @param bytes the array
     * @param offset the first byte
     * @param length the number of bytes
     * @return a heap segment over that range
     * @throws IndexOutOfBoundsException if the range is not inside {@code bytes}
     */
    protected static MemorySegment heap(byte[] bytes, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        return MemorySegment.ofArray(bytes).asSlice(offset, length);
    }

    /**
     * The exception thrown on use after close.
     * @return an exception naming this descriptor
     */
    protected IllegalStateException closed() {
        return new IllegalStateException(getClass().getSimpleName() + (detached ? " is detached" : " is closed"));
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + (isOpen() ? "[fd=" + fd + "]" : detached ? "[detached]" : "[closed]");
    }
}
