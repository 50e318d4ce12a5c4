package io.ffmepoll.internal.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

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
    private static final VarHandle ERRNO =
            CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    /** Offsets into {@link #buffer}; every slot is 8-byte aligned. */
    public static final long EVENT = 0;            // struct epoll_event, 16 bytes on any arch
    public static final long TIMESPEC = 16;        // struct timespec or the first half of itimerspec
    public static final long ITIMERSPEC = 16;      // struct itimerspec, 32 bytes
    public static final long LONG = 48;            // one 64-bit value (eventfd counters, timerfd reads)
    public static final long INTS = 56;            // two ints (pipe2, socketpair, socklen_t, option value)
    public static final long OPTION = 64;          // a socket option value, up to 64 bytes
    public static final long ADDRESS = 128;        // struct sockaddr_storage, 128 bytes
    public static final long ADDRESS_LENGTH = 256; // socklen_t for ADDRESS
    private static final long SIZE = 264;

    private static final ThreadLocal<NativeScratch> PER_THREAD =
            ThreadLocal.withInitial(() -> new NativeScratch(Arena.ofAuto()));

    /** The errno capture segment passed as the first argument of every capturing handle. */
    public final MemorySegment capture;
    /** The argument structs, at the offsets above. */
    public final MemorySegment buffer;
    /** Slices of {@link #buffer}, made once so that no call creates a segment object. */
    public final MemorySegment event, timespec, itimerspec, longValue, ints, option, address, addressLength;

    /** Allocates a scratch in {@code arena}, which the caller owns and closes. */
    public NativeScratch(Arena arena) {
        this.capture = arena.allocate(CAPTURE);
        this.buffer = arena.allocate(SIZE, 8);
        this.event = buffer.asSlice(EVENT, 16);
        this.timespec = buffer.asSlice(TIMESPEC, 16);
        this.itimerspec = buffer.asSlice(ITIMERSPEC, 32);
        this.longValue = buffer.asSlice(LONG, 8);
        this.ints = buffer.asSlice(INTS, 8);
        this.option = buffer.asSlice(OPTION, 64);
        this.address = buffer.asSlice(ADDRESS, 128);
        this.addressLength = buffer.asSlice(ADDRESS_LENGTH, 4);
    }

    /** The calling thread's scratch. */
    public static NativeScratch current() {
        return Thread.currentThread() instanceof Holder h ? h.scratch() : PER_THREAD.get();
    }

    /** errno as the last capturing call on this scratch left it. */
    public int errno() {
        return (int) ERRNO.get(capture, 0L);
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
