package io.ffmepoll.internal.sys;

import java.lang.foreign.MemorySegment;

/**
 * A fault layer for tests: {@link Sys} asks it about every call before making it. Chosen at
 * start-up with {@code -Dffmepoll.faults=<class name>} (a public class with a public no-argument
 * constructor, on the library's class path or patched into its module); without the property
 * there is none, and {@code Sys}' check of a {@code static final} null is folded away by the JIT.
 * <p>Each method has the arguments of the {@code Sys} method of the same name and returns
 * {@link #PASS} to let the real call happen unchanged, or the result {@code Sys} returns instead:
 * a count, or {@code -errno}. An implementation that wants the real call with other arguments
 * (a shorter length, a zero timeout) makes it itself through {@code Sys}, and must pass its own
 * nested calls through. Implementations are called from any thread and must be thread-safe.
 * <p>Never used in production: the library does not ship one.
 */
public interface Faults {

    /** "Make the real call": no result is {@code Long.MIN_VALUE}. */
    long PASS = Long.MIN_VALUE;

    /** The system property that names the implementation. */
    String PROPERTY = "ffmepoll.faults";

    default long epollCreate1(int flags) { return PASS; }
    default long epollCtl(int epfd, int op, int fd, int events, long data) { return PASS; }
    default long epollWait(int epfd, MemorySegment events, int maxEvents, int timeoutMillis) { return PASS; }
    default long epollPwait2(int epfd, MemorySegment events, int maxEvents, long timeoutNanos) { return PASS; }
    default long eventfd(int initial, int flags) { return PASS; }
    default long timerfdCreate(int clock, int flags) { return PASS; }
    default long timerfdSettime(int fd, int flags, long valueNanos, long intervalNanos) { return PASS; }
    default long read(int fd, MemorySegment buf, long count) { return PASS; }
    default long write(int fd, MemorySegment buf, long count) { return PASS; }
    default long readLong(NativeScratch s, int fd) { return PASS; }
    default long writeLong(int fd, long value) { return PASS; }
    default long close(int fd) { return PASS; }
    default long pipe2(int flags) { return PASS; }
    default long pollOne(NativeScratch s, int fd, short events, long timeoutNanos) { return PASS; }
    default long fcntl(int fd, int cmd, int arg) { return PASS; }
    default long socket(int domain, int type, int protocol) { return PASS; }
    default long socketpair(int domain, int type, int protocol) { return PASS; }
    default long bind(int fd, MemorySegment addr, int len) { return PASS; }
    default long listen(int fd, int backlog) { return PASS; }
    default long accept4(int fd, MemorySegment addr, MemorySegment len, int flags) { return PASS; }
    default long connect(int fd, MemorySegment addr, int len) { return PASS; }
    default long shutdown(int fd, int how) { return PASS; }
    default long getsockname(int fd, MemorySegment addr, MemorySegment len) { return PASS; }
    default long getpeername(int fd, MemorySegment addr, MemorySegment len) { return PASS; }
    default long getsockopt(int fd, int level, int name, MemorySegment value, MemorySegment len) { return PASS; }
    default long setsockopt(int fd, int level, int name, MemorySegment value, int len) { return PASS; }
    default long readv(int fd, MemorySegment iov, int count) { return PASS; }
    default long writev(int fd, MemorySegment iov, int count) { return PASS; }
    default long send(int fd, MemorySegment buf, long len, int flags) { return PASS; }
    default long recv(int fd, MemorySegment buf, long len, int flags) { return PASS; }
    default long sendto(int fd, MemorySegment buf, long len, int flags, MemorySegment addr, int addrLen) { return PASS; }
    default long recvfrom(int fd, MemorySegment buf, long len, int flags, MemorySegment addr, MemorySegment addrLen) { return PASS; }
    default long sendmsg(int fd, MemorySegment msg, int flags) { return PASS; }
    default long recvmsg(int fd, MemorySegment msg, int flags) { return PASS; }
    default long sendmmsg(int fd, MemorySegment msgs, int count, int flags) { return PASS; }
    default long recvmmsg(int fd, MemorySegment msgs, int count, int flags) { return PASS; }

    /** The implementation {@link #PROPERTY} names, or null without the property. */
    static Faults fromProperty() {
        String name = System.getProperty(PROPERTY);
        if (name == null || name.isEmpty()) return null;
        try {
            return (Faults) Class.forName(name, true, Faults.class.getClassLoader())
                    .getConstructor().newInstance();
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new IllegalStateException("-D" + PROPERTY + "=" + name + ": not a usable fault layer", e);
        }
    }
}
