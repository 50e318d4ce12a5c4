package io.ffmepoll.internal.sys;

import io.ffmepoll.internal.gen.Linux;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.NoSuchElementException;

/**
 * Every system call the library makes, as errno-capturing downcall handles built from the
 * jextract bindings' {@code $address()} and {@code $descriptor()}.
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

    private static MethodHandle capturing(MemorySegment address, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(address, descriptor, ERRNO);
    }

    // Two groups, each made on the first call of one of its functions: making every handle up
    // front cost ~0.7 s before the first epoll_create1 (each $address() also initialises
    // jextract's own, non-capturing handle). Groups rather than one class per function: a first
    // call that loads a class can need a free descriptor (a class file in a directory), so a
    // call like accept4 must not be first made when the process may be out of them; a program
    // that has opened a socket has made every socket handle.

    /** epoll, eventfd, timerfd and unistd calls, made together on the first of them. */
    private static final class Core {
        static final MethodHandle EPOLL_CREATE1 = capturing(Linux.epoll_create1$address(), Linux.epoll_create1$descriptor());
        static final MethodHandle EPOLL_CTL = capturing(Linux.epoll_ctl$address(), Linux.epoll_ctl$descriptor());
        static final MethodHandle EPOLL_WAIT = capturing(Linux.epoll_wait$address(), Linux.epoll_wait$descriptor());
        static final MethodHandle EVENTFD = capturing(Linux.eventfd$address(), Linux.eventfd$descriptor());
        static final MethodHandle TIMERFD_CREATE = capturing(Linux.timerfd_create$address(), Linux.timerfd_create$descriptor());
        static final MethodHandle TIMERFD_SETTIME = capturing(Linux.timerfd_settime$address(), Linux.timerfd_settime$descriptor());
        static final MethodHandle READ = capturing(Linux.read$address(), Linux.read$descriptor());
        static final MethodHandle WRITE = capturing(Linux.write$address(), Linux.write$descriptor());
        static final MethodHandle CLOSE = capturing(Linux.close$address(), Linux.close$descriptor());
        static final MethodHandle PIPE2 = capturing(Linux.pipe2$address(), Linux.pipe2$descriptor());
        static final MethodHandle PPOLL = capturing(Linux.ppoll$address(), Linux.ppoll$descriptor());
        /** fcntl(fd, cmd, int): variadic in C, so the third argument is declared as such. */
        static final MethodHandle FCNTL = LINKER.downcallHandle(Linux.fcntl.address(),
                FunctionDescriptor.of(Linux.C_INT, Linux.C_INT, Linux.C_INT, Linux.C_INT),
                Linker.Option.firstVariadicArg(2), ERRNO);
    }

    /** Socket calls, made together on the first of them; a program without sockets never makes them. */
    private static final class Sockets {
        static final MethodHandle SOCKET = capturing(Linux.socket$address(), Linux.socket$descriptor());
        static final MethodHandle SOCKETPAIR = capturing(Linux.socketpair$address(), Linux.socketpair$descriptor());
        static final MethodHandle BIND = capturing(Linux.bind$address(), Linux.bind$descriptor());
        static final MethodHandle LISTEN = capturing(Linux.listen$address(), Linux.listen$descriptor());
        static final MethodHandle ACCEPT4 = capturing(Linux.accept4$address(), Linux.accept4$descriptor());
        static final MethodHandle CONNECT = capturing(Linux.connect$address(), Linux.connect$descriptor());
        static final MethodHandle SHUTDOWN = capturing(Linux.shutdown$address(), Linux.shutdown$descriptor());
        static final MethodHandle GETSOCKNAME = capturing(Linux.getsockname$address(), Linux.getsockname$descriptor());
        static final MethodHandle GETPEERNAME = capturing(Linux.getpeername$address(), Linux.getpeername$descriptor());
        static final MethodHandle GETSOCKOPT = capturing(Linux.getsockopt$address(), Linux.getsockopt$descriptor());
        static final MethodHandle SETSOCKOPT = capturing(Linux.setsockopt$address(), Linux.setsockopt$descriptor());
        static final MethodHandle READV = capturing(Linux.readv$address(), Linux.readv$descriptor());
        static final MethodHandle WRITEV = capturing(Linux.writev$address(), Linux.writev$descriptor());
        static final MethodHandle SEND = capturing(Linux.send$address(), Linux.send$descriptor());
        static final MethodHandle RECV = capturing(Linux.recv$address(), Linux.recv$descriptor());
        static final MethodHandle SENDTO = capturing(Linux.sendto$address(), Linux.sendto$descriptor());
        static final MethodHandle RECVFROM = capturing(Linux.recvfrom$address(), Linux.recvfrom$descriptor());
        static final MethodHandle SENDMSG = capturing(Linux.sendmsg$address(), Linux.sendmsg$descriptor());
        static final MethodHandle RECVMSG = capturing(Linux.recvmsg$address(), Linux.recvmsg$descriptor());
        static final MethodHandle SENDMMSG = capturing(Linux.sendmmsg$address(), Linux.sendmmsg$descriptor());
        static final MethodHandle RECVMMSG = capturing(Linux.recvmmsg$address(), Linux.recvmmsg$descriptor());
    }

    /** The fault layer tests choose with {@code -Dffmepoll.faults}; null otherwise, and then a
     *  constant the JIT folds, so each method's hook line costs nothing. */
    private static final Faults FAULTS = Faults.fromProperty();

    /** Made with Sys, not on first use: the first use is often an error such as EMFILE, when
     *  loading a class may be impossible. */
    private static final MethodHandle STRERROR = Linux.strerror$handle();

    /** epoll_pwait2, or null where glibc predates it (2.35); the kernel may still say ENOSYS. */
    private static final MethodHandle EPOLL_PWAIT2 = pwait2();

    private static MethodHandle pwait2() {
        try {
            return capturing(Linux.epoll_pwait2$address(), Linux.epoll_pwait2$descriptor());
        } catch (NoSuchElementException | ExceptionInInitializerError | NoClassDefFoundError e) {
            return null;
        }
    }

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
        return EPOLL_PWAIT2 != null;
    }

    // ---- epoll, eventfd, timerfd

    public static int epollCreate1(int flags) {
        if (FAULTS != null) { long f = FAULTS.epollCreate1(flags); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((int) Core.EPOLL_CREATE1.invokeExact(s.capture, flags), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    /** epoll_ctl with the event built in the thread's scratch: no allocation. */
    public static int epollCtl(int epfd, int op, int fd, int events, long data) {
        if (FAULTS != null) { long f = FAULTS.epollCtl(epfd, op, fd, events, data); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        MemorySegment event = s.event;
        EpollEventLayout.set(event, 0, events, data);
        try {
            return result((int) Core.EPOLL_CTL.invokeExact(s.capture, epfd, op, fd, event), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static int epollWait(int epfd, MemorySegment events, int maxEvents, int timeoutMillis) {
        if (FAULTS != null) { long f = FAULTS.epollWait(epfd, events, maxEvents, timeoutMillis); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((int) Core.EPOLL_WAIT.invokeExact(s.capture, epfd, events, maxEvents, timeoutMillis), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    /** epoll_pwait2 with a relative timeout in nanoseconds and no signal mask change. */
    public static int epollPwait2(int epfd, MemorySegment events, int maxEvents, long timeoutNanos) {
        if (FAULTS != null) { long f = FAULTS.epollPwait2(epfd, events, maxEvents, timeoutNanos); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        MemorySegment ts = s.timespec;
        NativeScratch.setTimespec(ts, timeoutNanos);
        try {
            return result((int) EPOLL_PWAIT2.invokeExact(s.capture, epfd, events, maxEvents, ts,
                    MemorySegment.NULL), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static int eventfd(int initial, int flags) {
        if (FAULTS != null) { long f = FAULTS.eventfd(initial, flags); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((int) Core.EVENTFD.invokeExact(s.capture, initial, flags), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static int timerfdCreate(int clock, int flags) {
        if (FAULTS != null) { long f = FAULTS.timerfdCreate(clock, flags); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((int) Core.TIMERFD_CREATE.invokeExact(s.capture, clock, flags), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    /** timerfd_settime with {@code it_value} and {@code it_interval} in nanoseconds. */
    public static int timerfdSettime(int fd, int flags, long valueNanos, long intervalNanos) {
        if (FAULTS != null) { long f = FAULTS.timerfdSettime(fd, flags, valueNanos, intervalNanos); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        NativeScratch.setTimespec(s.itInterval, intervalNanos);
        NativeScratch.setTimespec(s.itValue, valueNanos);
        try {
            return result((int) Core.TIMERFD_SETTIME.invokeExact(s.capture, fd, flags,
                    s.itimerspec, MemorySegment.NULL), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    // ---- unistd

    public static long read(int fd, MemorySegment buf, long count) {
        if (FAULTS != null) { long f = FAULTS.read(fd, buf, count); if (f != Faults.PASS) return f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((long) Core.READ.invokeExact(s.capture, fd, buf, count), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static long write(int fd, MemorySegment buf, long count) {
        if (FAULTS != null) { long f = FAULTS.write(fd, buf, count); if (f != Faults.PASS) return f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((long) Core.WRITE.invokeExact(s.capture, fd, buf, count), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    /**
     * Reads one 8-byte counter (eventfd, timerfd) into {@code s.longValue}: 0 or -errno. The
     * value is returned apart from the status because a counter may exceed 2^63.
     */
    public static int readLong(NativeScratch s, int fd) {
        if (FAULTS != null) { long f = FAULTS.readLong(s, fd); if (f != Faults.PASS) return (int) f; }
        try {
            long r = (long) Core.READ.invokeExact(s.capture, fd, s.longValue, 8L);
            return r == 8 ? 0 : r < 0 ? -s.errno() : -Linux.EIO();
        } catch (Throwable t) { throw unexpected(t); }
    }

    /** Writes one 8-byte counter (eventfd) through the scratch; 0 or -errno. */
    public static int writeLong(int fd, long value) {
        if (FAULTS != null) { long f = FAULTS.writeLong(fd, value); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        s.setLong(NativeScratch.LONG, value);
        try {
            long r = (long) Core.WRITE.invokeExact(s.capture, fd, s.longValue, 8L);
            return r == 8 ? 0 : r < 0 ? -s.errno() : -Linux.EIO();
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static int close(int fd) {
        if (FAULTS != null) { long f = FAULTS.close(fd); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((int) Core.CLOSE.invokeExact(s.capture, fd), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    /** pipe2; on success the two fds are in the scratch at {@link NativeScratch#INTS}. */
    public static int pipe2(int flags) {
        if (FAULTS != null) { long f = FAULTS.pipe2(flags); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((int) Core.PIPE2.invokeExact(s.capture, s.ints, flags), s);
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
            return result((int) Core.PPOLL.invokeExact(s.capture, p, 1L, ts, MemorySegment.NULL), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    /** fcntl with an int argument (F_GETFD, F_SETFD, F_GETFL, F_SETFL): the result or -errno. */
    public static int fcntl(int fd, int cmd, int arg) {
        if (FAULTS != null) { long f = FAULTS.fcntl(fd, cmd, arg); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((int) Core.FCNTL.invokeExact(s.capture, fd, cmd, arg), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    /** strerror's text; glibc returns static strings for known numbers. */
    public static String strerror(int errno) {
        try {
            MemorySegment p = (MemorySegment) STRERROR.invokeExact(errno);
            return p.equals(MemorySegment.NULL) ? "errno " + errno : p.reinterpret(1024).getString(0);
        } catch (Throwable t) { throw unexpected(t); }
    }

    // ---- sockets: addresses and lengths are caller-provided segments (usually the scratch)

    public static int socket(int domain, int type, int protocol) {
        if (FAULTS != null) { long f = FAULTS.socket(domain, type, protocol); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((int) Sockets.SOCKET.invokeExact(s.capture, domain, type, protocol), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    /** socketpair; on success the two fds are in the scratch at {@link NativeScratch#INTS}. */
    public static int socketpair(int domain, int type, int protocol) {
        if (FAULTS != null) { long f = FAULTS.socketpair(domain, type, protocol); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((int) Sockets.SOCKETPAIR.invokeExact(s.capture, domain, type, protocol,
                    s.ints), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static int bind(int fd, MemorySegment addr, int len) {
        if (FAULTS != null) { long f = FAULTS.bind(fd, addr, len); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((int) Sockets.BIND.invokeExact(s.capture, fd, addr, len), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static int listen(int fd, int backlog) {
        if (FAULTS != null) { long f = FAULTS.listen(fd, backlog); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((int) Sockets.LISTEN.invokeExact(s.capture, fd, backlog), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    /** accept4; {@code addr}/{@code len} may be {@code MemorySegment.NULL}. */
    public static int accept4(int fd, MemorySegment addr, MemorySegment len, int flags) {
        if (FAULTS != null) { long f = FAULTS.accept4(fd, addr, len, flags); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((int) Sockets.ACCEPT4.invokeExact(s.capture, fd, addr, len, flags), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static int connect(int fd, MemorySegment addr, int len) {
        if (FAULTS != null) { long f = FAULTS.connect(fd, addr, len); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((int) Sockets.CONNECT.invokeExact(s.capture, fd, addr, len), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static int shutdown(int fd, int how) {
        if (FAULTS != null) { long f = FAULTS.shutdown(fd, how); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((int) Sockets.SHUTDOWN.invokeExact(s.capture, fd, how), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static int getsockname(int fd, MemorySegment addr, MemorySegment len) {
        if (FAULTS != null) { long f = FAULTS.getsockname(fd, addr, len); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((int) Sockets.GETSOCKNAME.invokeExact(s.capture, fd, addr, len), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static int getpeername(int fd, MemorySegment addr, MemorySegment len) {
        if (FAULTS != null) { long f = FAULTS.getpeername(fd, addr, len); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((int) Sockets.GETPEERNAME.invokeExact(s.capture, fd, addr, len), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static int getsockopt(int fd, int level, int name, MemorySegment value, MemorySegment len) {
        if (FAULTS != null) { long f = FAULTS.getsockopt(fd, level, name, value, len); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((int) Sockets.GETSOCKOPT.invokeExact(s.capture, fd, level, name, value, len), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static int setsockopt(int fd, int level, int name, MemorySegment value, int len) {
        if (FAULTS != null) { long f = FAULTS.setsockopt(fd, level, name, value, len); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((int) Sockets.SETSOCKOPT.invokeExact(s.capture, fd, level, name, value, len), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static long readv(int fd, MemorySegment iov, int count) {
        if (FAULTS != null) { long f = FAULTS.readv(fd, iov, count); if (f != Faults.PASS) return f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((long) Sockets.READV.invokeExact(s.capture, fd, iov, count), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static long writev(int fd, MemorySegment iov, int count) {
        if (FAULTS != null) { long f = FAULTS.writev(fd, iov, count); if (f != Faults.PASS) return f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((long) Sockets.WRITEV.invokeExact(s.capture, fd, iov, count), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static long send(int fd, MemorySegment buf, long len, int flags) {
        if (FAULTS != null) { long f = FAULTS.send(fd, buf, len, flags); if (f != Faults.PASS) return f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((long) Sockets.SEND.invokeExact(s.capture, fd, buf, len, flags), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static long recv(int fd, MemorySegment buf, long len, int flags) {
        if (FAULTS != null) { long f = FAULTS.recv(fd, buf, len, flags); if (f != Faults.PASS) return f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((long) Sockets.RECV.invokeExact(s.capture, fd, buf, len, flags), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static long sendto(int fd, MemorySegment buf, long len, int flags, MemorySegment addr, int addrLen) {
        if (FAULTS != null) { long f = FAULTS.sendto(fd, buf, len, flags, addr, addrLen); if (f != Faults.PASS) return f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((long) Sockets.SENDTO.invokeExact(s.capture, fd, buf, len, flags, addr, addrLen), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static long recvfrom(int fd, MemorySegment buf, long len, int flags, MemorySegment addr,
                                MemorySegment addrLen) {
        if (FAULTS != null) { long f = FAULTS.recvfrom(fd, buf, len, flags, addr, addrLen); if (f != Faults.PASS) return f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((long) Sockets.RECVFROM.invokeExact(s.capture, fd, buf, len, flags, addr, addrLen), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static long sendmsg(int fd, MemorySegment msg, int flags) {
        if (FAULTS != null) { long f = FAULTS.sendmsg(fd, msg, flags); if (f != Faults.PASS) return f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((long) Sockets.SENDMSG.invokeExact(s.capture, fd, msg, flags), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static long recvmsg(int fd, MemorySegment msg, int flags) {
        if (FAULTS != null) { long f = FAULTS.recvmsg(fd, msg, flags); if (f != Faults.PASS) return f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((long) Sockets.RECVMSG.invokeExact(s.capture, fd, msg, flags), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    public static int sendmmsg(int fd, MemorySegment msgs, int count, int flags) {
        if (FAULTS != null) { long f = FAULTS.sendmmsg(fd, msgs, count, flags); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((int) Sockets.SENDMMSG.invokeExact(s.capture, fd, msgs, count, flags), s);
        } catch (Throwable t) { throw unexpected(t); }
    }

    /** recvmmsg with no timeout (the socket is non-blocking). */
    public static int recvmmsg(int fd, MemorySegment msgs, int count, int flags) {
        if (FAULTS != null) { long f = FAULTS.recvmmsg(fd, msgs, count, flags); if (f != Faults.PASS) return (int) f; }
        NativeScratch s = NativeScratch.current();
        try {
            return result((int) Sockets.RECVMMSG.invokeExact(s.capture, fd, msgs, count, flags, MemorySegment.NULL), s);
        } catch (Throwable t) { throw unexpected(t); }
    }
}
