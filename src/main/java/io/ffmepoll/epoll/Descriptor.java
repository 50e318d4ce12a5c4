package io.ffmepoll.epoll;

import io.ffmepoll.internal.sys.Leases;
import io.ffmepoll.internal.sys.Sys;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * An open file descriptor with exactly one owner: this object.
 * <p>{@link #close()} is idempotent and thread-safe. Using a descriptor after close throws
 * {@link IllegalStateException}, and no operation ever reaches a reused fd number: every call
 * {@linkplain #acquire() acquires} the descriptor for its duration, and a close that races with
 * calls in flight only marks it closed; the last call to finish performs the real
 * {@code close(2)}. The fd number is therefore never recycled by the kernel while one of our
 * calls could still use it.
 * <p>Subclasses open their fds with {@code CLOEXEC} and {@code NONBLOCK}.
 * {@snippet :
 * try (EventFd wake = EventFd.open()) {   // any Descriptor
 *     wake.signal(1);
 * }                                        // closed exactly once
 * }
 */
public abstract class Descriptor implements AutoCloseable {

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

    /** Takes ownership of {@code fd}, which must be open. */
    protected Descriptor(int fd) {
        if (fd < 0) throw new IllegalArgumentException("not a file descriptor: " + fd);
        this.fd = fd;
    }

    /**
     * The fd number, for logging and for handing to code that does not outlive this object.
     * @throws IllegalStateException if closed
     */
    public final int fd() {
        if (state < 0) throw closed();
        return fd;
    }

    /** Whether {@link #close()} has not been called. */
    public final boolean isOpen() {
        return state >= 0;
    }

    /**
     * Marks the descriptor in use and returns its number; pair with {@link #release()} in a
     * finally block.
     * @throws IllegalStateException if closed
     */
    protected final int acquire() {
        for (;;) {
            int s = state;
            if (s < 0) throw closed();
            if (STATE.compareAndSet(this, s, s + 1)) return fd;
        }
    }

    /** Ends a use begun with {@link #acquire()}; closes the fd if a close came meanwhile. */
    protected final void release() {
        int s = (int) STATE.getAndAdd(this, -1) - 1;
        if (s == CLOSED) closeNow();
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
            // Linux releases the fd even when close fails (EINTR included), so never retry:
            // a retry could close an fd another thread has just been given.
            Sys.close(fd);
            afterClose();
        }
    }

    /** Called once, just before the fd is closed; the fd is still valid. */
    protected void beforeClose() {}

    /** Called once, after the fd is closed: free what the descriptor owned. */
    protected void afterClose() {}

    /** The exception thrown on use after close. */
    protected IllegalStateException closed() {
        return new IllegalStateException(getClass().getSimpleName() + " is closed");
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + (isOpen() ? "[fd=" + fd + "]" : "[closed]");
    }
}
