package io.ffmepoll.internal.sys;

import io.ffmepoll.internal.gen.ip_mreqn;
import io.ffmepoll.internal.gen.ipv6_mreq;
import io.ffmepoll.internal.gen.linger;
import io.ffmepoll.internal.gen.sockaddr_storage;
import io.ffmepoll.internal.gen.ucred;

import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Native memory a thread needs around a system call: the errno capture area and small argument
 * structs (an {@code epoll_event}, a {@code timespec}, a socket address and its length).
 * <p>One instance per thread, allocated once, never per call: a per-call arena costs ~20 ns and
 * a long-lived arena per call leaks. Event-loop threads carry their own instance
 * ({@link Holder}); every other thread gets one from a thread-local, freed with the thread.
 * <p>Not thread-safe by design: an instance is used only by the thread that owns it.
 */
public final class NativeScratch {

    /** A thread that brings its own scratch, so the hot path skips the thread-local lookup. */
    public interface Holder {
        NativeScratch scratch();
    }

    private static final MemoryLayout CAPTURE = Linker.Option.captureStateLayout();
    /** errno's offset in {@link #capture}: read as a plain int, as a layout path's VarHandle
     *  costs a cold JVM a tenth of a second of method-handle spinning at start. */
    private static final long ERRNO = CAPTURE.byteOffset(MemoryLayout.PathElement.groupElement("errno"));

    /** Every slot starts at a multiple of this: the strictest alignment of the structs here. */
    private static final long ALIGN = ValueLayout.JAVA_LONG.byteAlignment();
    private static final long INT = ValueLayout.JAVA_INT.byteSize();
    private static final long TIMESPEC_SIZE = io.ffmepoll.internal.gen.timespec.sizeof();
    private static final long ITIMERSPEC_SIZE = io.ffmepoll.internal.gen.itimerspec.sizeof();

    /** Offsets into {@link #buffer}, laid out from the generated structs' sizes. */
    public static final long EVENT = 0;                                             // struct epoll_event
    public static final long TIMESPEC = align(EVENT + EpollEventLayout.SIZE);       // struct timespec, or
    public static final long ITIMERSPEC = TIMESPEC;                                 // struct itimerspec
    public static final long LONG = align(ITIMERSPEC + ITIMERSPEC_SIZE);             // a 64-bit counter
    public static final long INTS = align(LONG + ValueLayout.JAVA_LONG.byteSize()); // two ints: fds, a socklen_t
    public static final long OPTION = align(INTS + 2 * INT);                        // a socket option value
    /**
     * The largest option value read or written here: an int, a struct linger, a struct ucred,
     * or a multicast request (struct ip_mreqn, struct ipv6_mreq).
     */
    public static final long OPTION_SIZE = Math.max(Math.max(INT, Math.max(linger.sizeof(), ucred.sizeof())),
            Math.max(ip_mreqn.sizeof(), ipv6_mreq.sizeof()));
    public static final long POLLFD = align(OPTION + OPTION_SIZE);                  // struct pollfd
    public static final long ADDRESS = align(POLLFD + io.ffmepoll.internal.gen.pollfd.sizeof());             // struct sockaddr_storage
    public static final long ADDRESS_SIZE = sockaddr_storage.sizeof();
    public static final long ADDRESS_LENGTH = align(ADDRESS + ADDRESS_SIZE);        // socklen_t for ADDRESS
    private static final long SIZE = ADDRESS_LENGTH + INT;

    private static long align(long offset) {
        return (offset + ALIGN - 1) & -ALIGN;
    }

    private static final ThreadLocal<NativeScratch> PER_THREAD =
            ThreadLocal.withInitial(() -> new NativeScratch(Arena.ofAuto()));

    /** The errno capture segment passed as the first argument of every capturing handle. */
    public final MemorySegment capture;
    /** The argument structs, at the offsets above. */
    public final MemorySegment buffer;
    /** Slices of {@link #buffer}, made once so that no call creates a segment object. */
    public final MemorySegment event, timespec, itimerspec, longValue, ints, option, pollfd, address, addressLength;
    /** The two halves of {@link #itimerspec}. */
    public final MemorySegment itInterval, itValue;
    /**
     * The last IP address encoded on this thread and its bytes: {@code InetAddress.getAddress()}
     * copies the array on every call, and most encodes repeat the last address.
     */
    public Object lastInetAddress;
    public byte[] lastInetBytes;

    /** Allocates a scratch in {@code arena}, which the caller owns and closes. */
    public NativeScratch(Arena arena) {
        this.capture = arena.allocate(CAPTURE);
        this.buffer = arena.allocate(SIZE, ALIGN);
        this.event = buffer.asSlice(EVENT, EpollEventLayout.SIZE);
        this.timespec = buffer.asSlice(TIMESPEC, TIMESPEC_SIZE);
        this.itimerspec = buffer.asSlice(ITIMERSPEC, ITIMERSPEC_SIZE);
        // The names of the generated struct classes are hidden here by the fields above.
        this.itInterval = itimerspec.asSlice(io.ffmepoll.internal.gen.itimerspec.it_interval$offset(), TIMESPEC_SIZE);
        this.itValue = itimerspec.asSlice(io.ffmepoll.internal.gen.itimerspec.it_value$offset(), TIMESPEC_SIZE);
        this.longValue = buffer.asSlice(LONG, ValueLayout.JAVA_LONG.byteSize());
        this.ints = buffer.asSlice(INTS, 2 * INT);
        this.option = buffer.asSlice(OPTION, OPTION_SIZE);
        this.pollfd = buffer.asSlice(POLLFD, io.ffmepoll.internal.gen.pollfd.sizeof());
        this.address = buffer.asSlice(ADDRESS, ADDRESS_SIZE);
        this.addressLength = buffer.asSlice(ADDRESS_LENGTH, INT);
    }

    /** Writes {@code nanos} (not negative) into the struct timespec {@code ts}. */
    public static void setTimespec(MemorySegment ts, long nanos) {
        io.ffmepoll.internal.gen.timespec.tv_sec(ts, nanos / 1_000_000_000L);
        io.ffmepoll.internal.gen.timespec.tv_nsec(ts, nanos % 1_000_000_000L);
    }

    /** The calling thread's scratch. */
    public static NativeScratch current() {
        return Thread.currentThread() instanceof Holder h ? h.scratch() : PER_THREAD.get();
    }

    /** errno as the last capturing call on this scratch left it. */
    public int errno() {
        return capture.get(ValueLayout.JAVA_INT, ERRNO);
    }

    /** Reads an int from {@link #buffer}. */
    public int getInt(long offset) {
        return buffer.get(ValueLayout.JAVA_INT, offset);
    }

    /** Writes an int into {@link #buffer}. */
    public void setInt(long offset, int value) {
        buffer.set(ValueLayout.JAVA_INT, offset, value);
    }

    /** Reads a long from {@link #buffer}. */
    public long getLong(long offset) {
        return buffer.get(ValueLayout.JAVA_LONG, offset);
    }

    /** Writes a long into {@link #buffer}. */
    public void setLong(long offset, long value) {
        buffer.set(ValueLayout.JAVA_LONG, offset, value);
    }
}
