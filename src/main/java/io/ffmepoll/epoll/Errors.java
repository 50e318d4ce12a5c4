package io.ffmepoll.epoll;

import io.ffmepoll.internal.gen.Linux;
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

    // errno numbers as compile-time constants, so that `case Errors.EAGAIN ->` compiles: the
    // generated bindings expose them as methods, which are not constant expressions. The values
    // are the bindings' own (asm-generic numbering, as every binding in internal.gen assumes);
    // ErrnoConstantsTest proves each equal to its binding and named in the table below.

    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EINTR = 4;
    public static final int EBADF = 9;
    public static final int EAGAIN = 11;
    public static final int EEXIST = 17;
    public static final int EINVAL = 22;
    public static final int ENFILE = 23;
    public static final int EMFILE = 24;
    public static final int ENOSPC = 28;
    public static final int EPIPE = 32;
    public static final int ENOSYS = 38;
    public static final int ENOPROTOOPT = 92;
    public static final int EADDRINUSE = 98;
    public static final int ECONNABORTED = 103;
    public static final int ECONNRESET = 104;
    public static final int ENOBUFS = 105;
    public static final int EISCONN = 106;
    public static final int ENOTCONN = 107;
    public static final int ETIMEDOUT = 110;
    public static final int ECONNREFUSED = 111;
    public static final int EALREADY = 114;
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

    /** The symbolic name of {@code errno}, or {@code "errno N"} for one the library does not bind. */
    public static String name(int errno) {
        String n = errno > 0 && errno < NAMES.length ? NAMES[errno] : null;
        return n != null ? n : "errno " + errno;
    }

    /** The C library's text for {@code errno}, cached. */
    public static String strerror(int errno) {
        if (errno <= 0 || errno >= TEXTS.length) return Sys.strerror(errno);
        String t = TEXTS[errno];
        if (t == null) TEXTS[errno] = t = Sys.strerror(errno);  // racy but idempotent
        return t;
    }

    /**
     * The exception for a failed call.
     * @param call what failed, as {@code "epoll_ctl(ADD)"}
     * @param result the call's negative result, {@code -errno}
     */
    public static NativeIOException exception(String call, long result) {
        int errno = (int) -result;
        if (errno <= 0) throw new IllegalArgumentException("not a failed result: " + result);
        return errno == EBADF ? new ClosedDescriptorException(call, errno) : new NativeIOException(call, errno);
    }

    /** Returns {@code result} if non-negative, else throws its exception. */
    public static int check(String call, int result) throws NativeIOException {
        if (result < 0) throw exception(call, result);
        return result;
    }

    /**
     * An I/O result: the byte count, {@link Descriptor#WOULD_BLOCK} for {@code EAGAIN}, or an
     * exception for any other error. End of stream is the caller's to tell (a read of 0).
     */
    public static long io(String call, long result) throws NativeIOException {
        if (result >= 0) return result;
        if (result == -EAGAIN) return Descriptor.WOULD_BLOCK;
        throw exception(call, result);
    }
}
