package io.ffmepoll.epoll;

import io.ffmepoll.internal.gen.Linux;
import io.ffmepoll.internal.sys.NativeAccess;
import io.ffmepoll.internal.sys.Sys;

/**
 * The one place where a failed system call's {@code -errno} becomes a result or an exception.
 *
 * <h2>Policy</h2>
 * <ul>
 * <li>{@code EAGAIN} (= {@code EWOULDBLOCK}) is a normal result: I/O methods return
 *     {@link Descriptor#WOULD_BLOCK}, never throw.</li>
 * <li>{@code EBADF} becomes {@link ClosedDescriptorException}.</li>
 * <li>{@code EINTR}: a wait interrupted by a signal returns early with zero events, exactly as
 *     if its timeout had expired; callers already loop and recompute deadlines, and retrying
 *     inside with a recomputed timeout is how Netty #16244 came to wait 1000 times too long.
 *     {@code close(2)} is never retried after {@code EINTR} (Linux has already released the fd).
 *     Every other call here is on a non-blocking fd and does not sleep, so it cannot see EINTR;
 *     if it ever does, the error surfaces as an exception rather than a silent retry.</li>
 * <li>Everything else becomes a {@link NativeIOException} carrying the number, its name and
 *     the {@code strerror} text.</li>
 * </ul>
 * {@snippet :
 * try (Epoll epoll = Epoll.open(); EventFd efd = EventFd.open()) {
 *     epoll.add(efd, Interest.IN, 1);
 *     epoll.add(efd, Interest.IN, 1);           // throws NativeIOException ...
 * } catch (NativeIOException e) {
 *     assert e.errnoName().equals("EEXIST");   // ... naming the errno
 * }
 * }
 */
public final class Errors {

    static {
        NativeAccess.check();   // before anything reaches the bindings: a denial names its flag
    }

    // errno numbers as compile-time constants, so that `case Errors.EAGAIN ->` compiles: the
    // generated bindings expose them as methods, which are not constant expressions. The values
    // are the bindings' own (asm-generic numbering, as every binding in internal.gen assumes);
    // ErrnoConstantsTest proves each equal to its binding and named in the table below.

    /** Operation not permitted: a seccomp filter refusing {@code epoll_pwait2}, or an option needing a capability. */
    public static final int EPERM = 1;
    /** No such file or directory: a Unix socket path that does not exist. */
    public static final int ENOENT = 2;
    /** Interrupted by a signal: a wait returns zero events instead (see the policy above). */
    public static final int EINTR = 4;
    /** Bad file descriptor: reported as {@link ClosedDescriptorException}. */
    public static final int EBADF = 9;
    /** Try again (= {@code EWOULDBLOCK}): a result, {@link Descriptor#WOULD_BLOCK}, never an exception. */
    public static final int EAGAIN = 11;
    /** Already exists: {@code epoll_ctl(ADD)} of a descriptor already registered. */
    public static final int EEXIST = 17;
    /** Invalid argument, for example {@link Interest#EXCLUSIVE} given to {@code epoll_ctl(MOD)}. */
    public static final int EINVAL = 22;
    /** The system-wide limit on open files is reached. */
    public static final int ENFILE = 23;
    /** The process limit on open descriptors ({@code ulimit -n}) is reached. */
    public static final int EMFILE = 24;
    /** No space: {@code epoll_ctl(ADD)} past the per-user watch limit ({@code max_user_watches}). */
    public static final int ENOSPC = 28;
    /** Broken pipe: a write after the peer closed (no SIGPIPE is raised; writes use {@code MSG_NOSIGNAL}). */
    public static final int EPIPE = 32;
    /** The kernel lacks the system call, for example {@code epoll_pwait2} before Linux 5.11. */
    public static final int ENOSYS = 38;
    /** The socket option is unknown to this kernel or protocol. */
    public static final int ENOPROTOOPT = 92;
    /** The address is already bound or listened on. */
    public static final int EADDRINUSE = 98;
    /** A pending connection was aborted before {@code accept} took it. */
    public static final int ECONNABORTED = 103;
    /** The peer reset the connection. */
    public static final int ECONNRESET = 104;
    /** The kernel ran out of buffer space for the operation. */
    public static final int ENOBUFS = 105;
    /** The socket is already connected. */
    public static final int EISCONN = 106;
    /** The socket is not connected. */
    public static final int ENOTCONN = 107;
    /** The connection timed out (retransmissions or keep-alive probes went unanswered). */
    public static final int ETIMEDOUT = 110;
    /** Nothing listens at the address connected to. */
    public static final int ECONNREFUSED = 111;
    /** A non-blocking connect is already in progress on the socket. */
    public static final int EALREADY = 114;
    /** A non-blocking connect has started; {@code finishConnect} completes it. */
    public static final int EINPROGRESS = 115;

    private static final String[] NAMES = new String[256];
    private static final String[] TEXTS = new String[256];
    static {
        name(Linux.EPERM(), "EPERM"); name(Linux.ENOENT(), "ENOENT"); name(Linux.EINTR(), "EINTR");
        name(Linux.EIO(), "EIO"); name(Linux.EBADF(), "EBADF"); name(Linux.EAGAIN(), "EAGAIN");
        name(Linux.ENOMEM(), "ENOMEM"); name(Linux.EACCES(), "EACCES"); name(Linux.EFAULT(), "EFAULT");
        name(Linux.EEXIST(), "EEXIST"); name(Linux.EINVAL(), "EINVAL"); name(Linux.ENFILE(), "ENFILE");
        name(Linux.EMFILE(), "EMFILE"); name(Linux.ENOSPC(), "ENOSPC"); name(Linux.EPIPE(), "EPIPE");
        name(Linux.ENOSYS(), "ENOSYS"); name(Linux.ELOOP(), "ELOOP"); name(Linux.ENOTSOCK(), "ENOTSOCK");
        name(Linux.EDESTADDRREQ(), "EDESTADDRREQ"); name(Linux.EPROTOTYPE(), "EPROTOTYPE");
        name(Linux.EMSGSIZE(), "EMSGSIZE"); name(Linux.ENOPROTOOPT(), "ENOPROTOOPT");
        name(Linux.EOPNOTSUPP(), "EOPNOTSUPP"); name(Linux.EAFNOSUPPORT(), "EAFNOSUPPORT");
        name(Linux.EADDRINUSE(), "EADDRINUSE"); name(Linux.EADDRNOTAVAIL(), "EADDRNOTAVAIL");
        name(Linux.ENETUNREACH(), "ENETUNREACH"); name(Linux.ECONNABORTED(), "ECONNABORTED");
        name(Linux.ECONNRESET(), "ECONNRESET"); name(Linux.ENOBUFS(), "ENOBUFS");
        name(Linux.EISCONN(), "EISCONN"); name(Linux.ENOTCONN(), "ENOTCONN");
        name(Linux.ETIMEDOUT(), "ETIMEDOUT"); name(Linux.ECONNREFUSED(), "ECONNREFUSED");
        name(Linux.EHOSTUNREACH(), "EHOSTUNREACH"); name(Linux.EALREADY(), "EALREADY");
        name(Linux.EINPROGRESS(), "EINPROGRESS");
    }

    private static void name(int errno, String name) {
        NAMES[errno] = name;
    }

    private Errors() {}

    /**
     * The symbolic name of an errno number. Thread-safe.
     * @param errno a positive errno number
     * @return its name, as {@code "EAGAIN"}, or {@code "errno N"} for one the library does not bind
     */
    public static String name(int errno) {
        String n = errno > 0 && errno < NAMES.length ? NAMES[errno] : null;
        return n != null ? n : "errno " + errno;
    }

    /**
     * The C library's text for an errno number, cached after the first call. Thread-safe.
     * @param errno an errno number
     * @return the {@code strerror} text, as {@code "Resource temporarily unavailable"}
     */
    public static String strerror(int errno) {
        if (errno <= 0 || errno >= TEXTS.length) return Sys.strerror(errno);
        String t = TEXTS[errno];
        if (t == null) TEXTS[errno] = t = Sys.strerror(errno);  // racy but idempotent
        return t;
    }

    /**
     * The exception for a failed call. Thread-safe.
     * @param call what failed, as {@code "epoll_ctl(ADD)"}
     * @param result the call's negative result, {@code -errno}
     * @return a {@link ClosedDescriptorException} for {@code EBADF}, else a {@link NativeIOException}
     * @throws IllegalArgumentException if {@code result} is not negative
     */
    public static NativeIOException exception(String call, long result) {
        int errno = (int) -result;
        if (errno <= 0) throw new IllegalArgumentException("not a failed result: " + result);
        return errno == EBADF ? new ClosedDescriptorException(call, errno) : new NativeIOException(call, errno);
    }

    /**
     * Passes a successful result through, throws for a failed one. Thread-safe.
     * @param call what was called, for the message, as {@code "epoll_ctl(ADD)"}
     * @param result the call's result: non-negative, or {@code -errno}
     * @return {@code result}, when it is not negative
     * @throws NativeIOException the {@link #exception} for a negative result
     */
    public static int check(String call, int result) throws NativeIOException {
        if (result < 0) throw exception(call, result);
        return result;
    }

    /**
     * An I/O result: the byte count, {@link Descriptor#WOULD_BLOCK} for {@code EAGAIN}, or an
     * exception for any other error. End of stream is the caller's to tell (a read of 0).
     * Thread-safe.
     * @param call what was called, for the message, as {@code "read"}
     * @param result the call's result: a byte count, or {@code -errno}
     * @return the byte count, or {@link Descriptor#WOULD_BLOCK} for {@code -EAGAIN}
     * @throws NativeIOException the {@link #exception} for any other negative result
     */
    public static long io(String call, long result) throws NativeIOException {
        if (result >= 0) return result;
        if (result == -EAGAIN) return Descriptor.WOULD_BLOCK;
        throw exception(call, result);
    }
}
