package io.ffmepoll.internal.sys;

import io.ffmepoll.internal.gen.Linux;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Every system call the library makes, as errno-capturing downcall handles built from the
 * generated layouts, each proven equal to the jextract binding's descriptor by a test.
 * <p>Each method returns the call's result when it is non-negative and {@code -errno} when the
 * call failed, like the kernel's own convention. Turning {@code -errno} into an exception is
 * {@code io.ffmepoll.epoll.Errors}' job, so hot paths can test for {@code -EAGAIN} without one.
 * <p>errno lands in the calling thread's {@link NativeScratch}: nothing is allocated per call.
 * {@code Linker.Option.critical} is not used: it cannot be combined with errno capture, and
 * {@code epoll_wait} may block.
 */
public final class Sys {

    private static final Linker LINKER = Linker.nativeLinker();
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    /** The C library's symbols: jextract's lookup, less the loader lookup of no loaded library. */
    private static final SymbolLookup LIBC = LINKER.defaultLookup();

    private static final ValueLayout I = Linux.C_INT;
    private static final ValueLayout L = Linux.C_LONG;
    private static final ValueLayout P = Linux.C_POINTER;

    /** The errno-capturing handle of the C function {@code name}, which must exist. */
    private static MethodHandle capturing(String name, FunctionDescriptor shape) {
        return LINKER.downcallHandle(LIBC.find(name).orElseThrow(), shape, ERRNO);
    }

    // Where the start-up time goes: the linker spins a class for each distinct shape of handle
    // (descriptor and options; ~20 ms of a cold JVM's CPU each) and shares it between handles of
    // the same shape. So the handles are grouped by shape, one holder class each, made on the
    // first call of any function of that shape: a program makes only the shapes it calls
    // (listening makes 10 of the 20). The handles are built here from the names and the
    // generated layouts rather than from jextract's $address() and $descriptor(): those
    // initialize jextract's own class for the function, which makes a second, non-capturing
    // handle of another shape that is never called. SysTest proves each shape equal to the
    // generated descriptor of every function it holds.
    //
    // Holder names spell the C signature: result, then arguments; I int, L long, P pointer.
    // All holders are loaded (not initialized) with Sys, by HOLDERS below: a first call that
    // loads a class can need a free descriptor (a class file in a directory), and a first
    // accept4 or strerror may come when the process has none left. Initializing a loaded class
    // and spinning the handle's class open no file.

    private static final class I_I {   // (int) -> int
        static final FunctionDescriptor SHAPE = FunctionDescriptor.of(I, I);
        static final MethodHandle EPOLL_CREATE1 = capturing("epoll_create1", SHAPE);
        static final MethodHandle CLOSE = capturing("close", SHAPE);
    }

    private static final class I_II {
        static final FunctionDescriptor SHAPE = FunctionDescriptor.of(I, I, I);
        static final MethodHandle EVENTFD = capturing("eventfd", SHAPE);
        static final MethodHandle TIMERFD_CREATE = capturing("timerfd_create", SHAPE);
        static final MethodHandle LISTEN = capturing("listen", SHAPE);
        static final MethodHandle SHUTDOWN = capturing("shutdown", SHAPE);
    }

    private static final class I_III {
        static final FunctionDescriptor SHAPE = FunctionDescriptor.of(I, I, I, I);
        static final MethodHandle SOCKET = capturing("socket", SHAPE);
    }

    private static final class I_IIIP {
        static final FunctionDescriptor SHAPE = FunctionDescriptor.of(I, I, I, I, P);
        static final MethodHandle EPOLL_CTL = capturing("epoll_ctl", SHAPE);
        static final MethodHandle SOCKETPAIR = capturing("socketpair", SHAPE);
    }

    private static final class I_IPII {
        static final FunctionDescriptor SHAPE = FunctionDescriptor.of(I, I, P, I, I);
        static final MethodHandle EPOLL_WAIT = capturing("epoll_wait", SHAPE);
        static final MethodHandle SENDMMSG = capturing("sendmmsg", SHAPE);
    }

    /** epoll_pwait2, or null where glibc predates it (2.35); the kernel may still say ENOSYS. */
    private static final class I_IPIPP {
        static final FunctionDescriptor SHAPE = FunctionDescriptor.of(I, I, P, I, P, P);
        static final MethodHandle EPOLL_PWAIT2 = LIBC.find("epoll_pwait2").isPresent() ? capturing("epoll_pwait2", SHAPE) : null;
    }

    private static final class I_IIPP {
        static final FunctionDescriptor SHAPE = FunctionDescriptor.of(I, I, I, P, P);
        static final MethodHandle TIMERFD_SETTIME = capturing("timerfd_settime", SHAPE);
    }

    private static final class L_IPL {
        static final FunctionDescriptor SHAPE = FunctionDescriptor.of(L, I, P, L);
        static final MethodHandle READ = capturing("read", SHAPE);
        static final MethodHandle WRITE = capturing("write", SHAPE);
    }

    private static final class I_PI {
        static final FunctionDescriptor SHAPE = FunctionDescriptor.of(I, P, I);
        static final MethodHandle PIPE2 = capturing("pipe2", SHAPE);
    }

    private static final class I_IPI {
        static final FunctionDescriptor SHAPE = FunctionDescriptor.of(I, I, P, I);
        static final MethodHandle BIND = capturing("bind", SHAPE);
        static final MethodHandle CONNECT = capturing("connect", SHAPE);
    }

    private static final class I_IPP {
        static final FunctionDescriptor SHAPE = FunctionDescriptor.of(I, I, P, P);
        static final MethodHandle GETSOCKNAME = capturing("getsockname", SHAPE);
        static final MethodHandle GETPEERNAME = capturing("getpeername", SHAPE);
    }

    private static final class I_IPPI {
        static final FunctionDescriptor SHAPE = FunctionDescriptor.of(I, I, P, P, I);
        static final MethodHandle ACCEPT4 = capturing("accept4", SHAPE);
    }

    private static final class I_IIIPP {
        static final FunctionDescriptor SHAPE = FunctionDescriptor.of(I, I, I, I, P, P);
        static final MethodHandle GETSOCKOPT = capturing("getsockopt", SHAPE);
    }

    private static final class I_IIIPI {
        static final FunctionDescriptor SHAPE = FunctionDescriptor.of(I, I, I, I, P, I);
        static final MethodHandle SETSOCKOPT = capturing("setsockopt", SHAPE);
    }

    private static final class L_IPI {
        static final FunctionDescriptor SHAPE = FunctionDescriptor.of(L, I, P, I);
        static final MethodHandle READV = capturing("readv", SHAPE);
        static final MethodHandle WRITEV = capturing("writev", SHAPE);
        static final MethodHandle SENDMSG = capturing("sendmsg", SHAPE);
        static final MethodHandle RECVMSG = capturing("recvmsg", SHAPE);
    }

    private static final class L_IPLI {
        static final FunctionDescriptor SHAPE = FunctionDescriptor.of(L, I, P, L, I);
        static final MethodHandle SEND = capturing("send", SHAPE);
        static final MethodHandle RECV = capturing("recv", SHAPE);
    }

    private static final class L_IPLIPI {
        static final FunctionDescriptor SHAPE = FunctionDescriptor.of(L, I, P, L, I, P, I);
        static final MethodHandle SENDTO = capturing("sendto", SHAPE);
    }

    private static final class L_IPLIPP {
        static final FunctionDescriptor SHAPE = FunctionDescriptor.of(L, I, P, L, I, P, P);
        static final MethodHandle RECVFROM = capturing("recvfrom", SHAPE);
    }

    private static final class I_IPIIP {
        static final FunctionDescriptor SHAPE = FunctionDescriptor.of(I, I, P, I, I, P);
        static final MethodHandle RECVMMSG = capturing("recvmmsg", SHAPE);
    }

    private static final class I_PLPP {
        static final FunctionDescriptor SHAPE = FunctionDescriptor.of(I, P, L, P, P);
        static final MethodHandle PPOLL = capturing("ppoll", SHAPE);
    }

    /** fcntl(fd, cmd, int): variadic in C, so the third argument is passed as a variadic one
     *  (a shape of its own for the linker, though its descriptor equals socket's). */
    private static final class I_IIvI {
        static final FunctionDescriptor SHAPE = FunctionDescriptor.of(I, I, I, I);
        /** Index of the first variadic argument; SysTest checks it against jextract's invoker. */
        static final int FIRST_VARIADIC = 2;
        static final MethodHandle FCNTL = LINKER.downcallHandle(LIBC.find("fcntl").orElseThrow(), SHAPE,
                Linker.Option.firstVariadicArg(FIRST_VARIADIC), ERRNO);
    }

    /** strerror: not capturing, it sets no errno. */
    private static final class P_I {
        static final FunctionDescriptor SHAPE = FunctionDescriptor.of(P, I);
        static final MethodHandle STRERROR = LINKER.downcallHandle(LIBC.find("strerror").orElseThrow(), SHAPE);
    }

    /** Every holder, loaded here and initialized on first use (see above); SysTest reads it. */
    static final Class<?>[] HOLDERS = {
            I_I.class, I_II.class, I_III.class, I_IIIP.class, I_IPII.class, I_IPIPP.class, I_IIPP.class,
            L_IPL.class, I_PI.class, I_IPI.class, I_IPP.class, I_IPPI.class, I_IIIPP.class, I_IIIPI.class,
            L_IPI.class, L_IPLI.class, L_IPLIPI.class, L_IPLIPP.class, I_IPIIP.class, I_PLPP.class, I_IIvI.class,
            P_I.class};

    /** The fault layer tests choose with {@code -Dffmepoll.faults}; null otherwise, and then a
     *  constant the JIT folds, so each method's hook line costs nothing. */
    private static final Faults FAULTS = Faults.fromProperty();

    private Sys() {}

    private static int result(int r, NativeScratch s) {
        return r >= 0 ? r : -s.errno();
    }

    private static long result(long r, NativeScratch s) {
        return r >= 0 ? r : -s.errno();
    }

    private static AssertionError unexpected(Throwable t) {
        if (t instanceof RuntimeException re) throw re;
        if (t instanceof Error e) throw e;
        return new AssertionError("downcall threw a checked exception", t);
    }

    /** True when glibc exports epoll_pwait2 (the kernel is probed separately). */
    public static boolean hasEpollPwait2() {
        return I_IPIPP.EPOLL_PWAIT2 != null;
    }

    // ---- epoll, eventfd, timerfd

    public static int epollCreate1(int flags) {
        if (FAULTS != null) { long f = FAULTS.epollCreate1(flags); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((int) I_I.EPOLL_CREATE1.invokeExact(s.capture, flags), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    /** epoll_ctl with the event built in the thread's scratch: no allocation. */
    public static int epollCtl(int epfd, int op, int fd, int events, long data) {
        if (FAULTS != null) { long f = FAULTS.epollCtl(epfd, op, fd, events, data); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        MemorySegment event = s.event;
        EpollEventLayout.set(event, 0, events, data);
        try {
            return result((int) I_IIIP.EPOLL_CTL.invokeExact(s.capture, epfd, op, fd, event), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static int epollWait(int epfd, MemorySegment events, int maxEvents, int timeoutMillis) {
        if (FAULTS != null) { long f = FAULTS.epollWait(epfd, events, maxEvents, timeoutMillis); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((int) I_IPII.EPOLL_WAIT.invokeExact(s.capture, epfd, events, maxEvents, timeoutMillis), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    /** epoll_pwait2 with a relative timeout in nanoseconds and no signal mask change. */
    public static int epollPwait2(int epfd, MemorySegment events, int maxEvents, long timeoutNanos) {
        if (FAULTS != null) { long f = FAULTS.epollPwait2(epfd, events, maxEvents, timeoutNanos); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        MemorySegment ts = s.timespec;
        NativeScratch.setTimespec(ts, timeoutNanos);
        try {
            return result((int) I_IPIPP.EPOLL_PWAIT2.invokeExact(s.capture, epfd, events, maxEvents, ts,
                    MemorySegment.NULL), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static int eventfd(int initial, int flags) {
        if (FAULTS != null) { long f = FAULTS.eventfd(initial, flags); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((int) I_II.EVENTFD.invokeExact(s.capture, initial, flags), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static int timerfdCreate(int clock, int flags) {
        if (FAULTS != null) { long f = FAULTS.timerfdCreate(clock, flags); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((int) I_II.TIMERFD_CREATE.invokeExact(s.capture, clock, flags), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    /** timerfd_settime with {@code it_value} and {@code it_interval} in nanoseconds. */
    public static int timerfdSettime(int fd, int flags, long valueNanos, long intervalNanos) {
        if (FAULTS != null) { long f = FAULTS.timerfdSettime(fd, flags, valueNanos, intervalNanos); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        NativeScratch.setTimespec(s.itInterval, intervalNanos);
        NativeScratch.setTimespec(s.itValue, valueNanos);
        try {
            return result((int) I_IIPP.TIMERFD_SETTIME.invokeExact(s.capture, fd, flags,
                    s.itimerspec, MemorySegment.NULL), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    // ---- unistd

    public static long read(int fd, MemorySegment buf, long count) {
        if (FAULTS != null) { long f = FAULTS.read(fd, buf, count); if (f != Faults.PASS) return f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((long) L_IPL.READ.invokeExact(s.capture, fd, buf, count), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static long write(int fd, MemorySegment buf, long count) {
        if (FAULTS != null) { long f = FAULTS.write(fd, buf, count); if (f != Faults.PASS) return f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((long) L_IPL.WRITE.invokeExact(s.capture, fd, buf, count), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    /**
     * Reads one 8-byte counter (eventfd, timerfd) into {@code s.longValue}: 0 or -errno. The
     * value is returned apart from the status because a counter may exceed 2^63.
     */
    public static int readLong(NativeScratch s, int fd) {
        if (FAULTS != null) { long f = FAULTS.readLong(s, fd); if (f != Faults.PASS) return (int) f; }
        try {
            long r = (long) L_IPL.READ.invokeExact(s.capture, fd, s.longValue, 8L);
            return r == 8 ? 0 : r < 0 ? -s.errno() : -Linux.EIO();
        } catch (Throwable t) { throw unexpected(t); }
    }

    /** Writes one 8-byte counter (eventfd) through the scratch; 0 or -errno. */
    public static int writeLong(int fd, long value) {
        if (FAULTS != null) { long f = FAULTS.writeLong(fd, value); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        s.setLong(NativeScratch.LONG, value);
        try {
            long r = (long) L_IPL.WRITE.invokeExact(s.capture, fd, s.longValue, 8L);
            return r == 8 ? 0 : r < 0 ? -s.errno() : -Linux.EIO();
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static int close(int fd) {
        if (FAULTS != null) { long f = FAULTS.close(fd); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((int) I_I.CLOSE.invokeExact(s.capture, fd), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    /** pipe2; on success the two fds are in the scratch at {@link NativeScratch#INTS}. */
    public static int pipe2(int flags) {
        if (FAULTS != null) { long f = FAULTS.pipe2(flags); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((int) I_PI.PIPE2.invokeExact(s.capture, s.ints, flags), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    /**
     * ppoll on one descriptor: the {@code struct pollfd} and the timeout live in the thread's
     * scratch; {@code timeoutNanos < 0} passes no timeout (wait forever), and no signal mask is
     * changed. Returns 0 (timeout), 1 (the revents are in the scratch's pollfd) or -errno.
     */
    public static int pollOne(NativeScratch s, int fd, short events, long timeoutNanos) {
        if (FAULTS != null) { long f = FAULTS.pollOne(s, fd, events, timeoutNanos); if (f != Faults.PASS) return (int) f; }
        MemorySegment p = s.pollfd;
        io.ffmepoll.internal.gen.pollfd.fd(p, fd);
        io.ffmepoll.internal.gen.pollfd.events(p, events);
        io.ffmepoll.internal.gen.pollfd.revents(p, (short) 0);
        MemorySegment ts = MemorySegment.NULL;
        if (timeoutNanos >= 0) {
            ts = s.timespec;
            NativeScratch.setTimespec(ts, timeoutNanos);
        }
        try {
            return result((int) I_PLPP.PPOLL.invokeExact(s.capture, p, 1L, ts, MemorySegment.NULL), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    /** fcntl with an int argument (F_GETFD, F_SETFD, F_GETFL, F_SETFL): the result or -errno. */
    public static int fcntl(int fd, int cmd, int arg) {
        if (FAULTS != null) { long f = FAULTS.fcntl(fd, cmd, arg); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((int) I_IIvI.FCNTL.invokeExact(s.capture, fd, cmd, arg), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    /** strerror's text; glibc returns static strings for known numbers. */
    public static String strerror(int errno) {
        try {
            MemorySegment p = (MemorySegment) P_I.STRERROR.invokeExact(errno);
            return p.equals(MemorySegment.NULL) ? "errno " + errno : p.reinterpret(1024).getString(0);
        } catch (Throwable t) { throw unexpected(t); }
    }

    // ---- sockets: addresses and lengths are caller-provided segments (usually the scratch)

    public static int socket(int domain, int type, int protocol) {
        if (FAULTS != null) { long f = FAULTS.socket(domain, type, protocol); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((int) I_III.SOCKET.invokeExact(s.capture, domain, type, protocol), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    /** socketpair; on success the two fds are in the scratch at {@link NativeScratch#INTS}. */
    public static int socketpair(int domain, int type, int protocol) {
        if (FAULTS != null) { long f = FAULTS.socketpair(domain, type, protocol); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((int) I_IIIP.SOCKETPAIR.invokeExact(s.capture, domain, type, protocol,
                    s.ints), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static int bind(int fd, MemorySegment addr, int len) {
        if (FAULTS != null) { long f = FAULTS.bind(fd, addr, len); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((int) I_IPI.BIND.invokeExact(s.capture, fd, addr, len), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static int listen(int fd, int backlog) {
        if (FAULTS != null) { long f = FAULTS.listen(fd, backlog); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((int) I_II.LISTEN.invokeExact(s.capture, fd, backlog), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    /** accept4; {@code addr}/{@code len} may be {@code MemorySegment.NULL}. */
    public static int accept4(int fd, MemorySegment addr, MemorySegment len, int flags) {
        if (FAULTS != null) { long f = FAULTS.accept4(fd, addr, len, flags); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((int) I_IPPI.ACCEPT4.invokeExact(s.capture, fd, addr, len, flags), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static int connect(int fd, MemorySegment addr, int len) {
        if (FAULTS != null) { long f = FAULTS.connect(fd, addr, len); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((int) I_IPI.CONNECT.invokeExact(s.capture, fd, addr, len), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static int shutdown(int fd, int how) {
        if (FAULTS != null) { long f = FAULTS.shutdown(fd, how); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((int) I_II.SHUTDOWN.invokeExact(s.capture, fd, how), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static int getsockname(int fd, MemorySegment addr, MemorySegment len) {
        if (FAULTS != null) { long f = FAULTS.getsockname(fd, addr, len); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((int) I_IPP.GETSOCKNAME.invokeExact(s.capture, fd, addr, len), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static int getpeername(int fd, MemorySegment addr, MemorySegment len) {
        if (FAULTS != null) { long f = FAULTS.getpeername(fd, addr, len); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((int) I_IPP.GETPEERNAME.invokeExact(s.capture, fd, addr, len), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static int getsockopt(int fd, int level, int name, MemorySegment value, MemorySegment len) {
        if (FAULTS != null) { long f = FAULTS.getsockopt(fd, level, name, value, len); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((int) I_IIIPP.GETSOCKOPT.invokeExact(s.capture, fd, level, name, value, len), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static int setsockopt(int fd, int level, int name, MemorySegment value, int len) {
        if (FAULTS != null) { long f = FAULTS.setsockopt(fd, level, name, value, len); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((int) I_IIIPI.SETSOCKOPT.invokeExact(s.capture, fd, level, name, value, len), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static long readv(int fd, MemorySegment iov, int count) {
        if (FAULTS != null) { long f = FAULTS.readv(fd, iov, count); if (f != Faults.PASS) return f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((long) L_IPI.READV.invokeExact(s.capture, fd, iov, count), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static long writev(int fd, MemorySegment iov, int count) {
        if (FAULTS != null) { long f = FAULTS.writev(fd, iov, count); if (f != Faults.PASS) return f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((long) L_IPI.WRITEV.invokeExact(s.capture, fd, iov, count), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static long send(int fd, MemorySegment buf, long len, int flags) {
        if (FAULTS != null) { long f = FAULTS.send(fd, buf, len, flags); if (f != Faults.PASS) return f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((long) L_IPLI.SEND.invokeExact(s.capture, fd, buf, len, flags), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static long recv(int fd, MemorySegment buf, long len, int flags) {
        if (FAULTS != null) { long f = FAULTS.recv(fd, buf, len, flags); if (f != Faults.PASS) return f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((long) L_IPLI.RECV.invokeExact(s.capture, fd, buf, len, flags), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static long sendto(int fd, MemorySegment buf, long len, int flags, MemorySegment addr, int addrLen) {
        if (FAULTS != null) { long f = FAULTS.sendto(fd, buf, len, flags, addr, addrLen); if (f != Faults.PASS) return f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((long) L_IPLIPI.SENDTO.invokeExact(s.capture, fd, buf, len, flags, addr, addrLen), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static long recvfrom(int fd, MemorySegment buf, long len, int flags, MemorySegment addr,
                                MemorySegment addrLen) {
        if (FAULTS != null) { long f = FAULTS.recvfrom(fd, buf, len, flags, addr, addrLen); if (f != Faults.PASS) return f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((long) L_IPLIPP.RECVFROM.invokeExact(s.capture, fd, buf, len, flags, addr, addrLen), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static long sendmsg(int fd, MemorySegment msg, int flags) {
        if (FAULTS != null) { long f = FAULTS.sendmsg(fd, msg, flags); if (f != Faults.PASS) return f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((long) L_IPI.SENDMSG.invokeExact(s.capture, fd, msg, flags), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static long recvmsg(int fd, MemorySegment msg, int flags) {
        if (FAULTS != null) { long f = FAULTS.recvmsg(fd, msg, flags); if (f != Faults.PASS) return f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((long) L_IPI.RECVMSG.invokeExact(s.capture, fd, msg, flags), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static int sendmmsg(int fd, MemorySegment msgs, int count, int flags) {
        if (FAULTS != null) { long f = FAULTS.sendmmsg(fd, msgs, count, flags); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((int) I_IPII.SENDMMSG.invokeExact(s.capture, fd, msgs, count, flags), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    /** recvmmsg with no timeout (the socket is non-blocking). */
    public static int recvmmsg(int fd, MemorySegment msgs, int count, int flags) {
        if (FAULTS != null) { long f = FAULTS.recvmmsg(fd, msgs, count, flags); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((int) I_IPIIP.RECVMMSG.invokeExact(s.capture, fd, msgs, count, flags, MemorySegment.NULL), s);
        } catch (Throwable t) { throw unexpected(t); }
    }
}
