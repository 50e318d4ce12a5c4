package io.ffmepoll.internal.sys;

import io.ffmepoll.internal.gen.iovec;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Native memory for one I/O call beyond {@link NativeScratch}'s small slots: a staging buffer for
 * heap memory, an iovec array, a msghdr and a control-message buffer.
 * <p>Why staging: the downcalls capture errno, and {@code Linker.Option.critical(true)} (the only
 * way to hand the kernel a heap array) cannot be combined with {@code captureCallState}. Heap
 * bytes are therefore copied through native memory.
 * <p>Why a pool and not one per thread: an instance is ~82 KiB, and a thread-local one stays with
 * its thread until the thread dies, so 2,000 live virtual threads that each did one heap write
 * held 160 MiB. A call {@linkplain #take() takes} an instance for its length and
 * {@linkplain #release() gives it back}; the pool keeps at most {@link #POOL_SIZE} idle
 * instances, made on demand, so the memory is bounded by the calls in flight, not by the
 * threads alive. Taking and giving back allocate nothing (two atomic operations in the common
 * case). A call in flight cannot be unmounted (a virtual thread in a downcall pins its carrier),
 * so instances in use never exceed the threads actually running I/O.
 * <p>An instance is used by one thread between {@code take()} and {@code release()}.
 */
public final class IoScratch {

    /** Pooled staging: one full UDP datagram (65,507 bytes) fits; streams go round in chunks of it. */
    public static final int STAGING_SIZE = 64 * 1024;
    /** UIO_MAXIOV: the kernel refuses longer iovec arrays with EINVAL (not in the uapi headers). */
    public static final int IOV_MAX = 1024;
    /** SCM_MAX_FD: the most descriptors one SCM_RIGHTS message may carry (kernel-internal). */
    public static final int MAX_FDS = 253;
    public static final long IOVEC_SIZE = iovec.sizeof();
    public static final long IOV_BASE = iovec.iov_base$offset();
    public static final long IOV_LEN = iovec.iov_len$offset();
    /** Bytes of one descriptor in an SCM_RIGHTS message: a C int. */
    public static final long FD_SIZE = ValueLayout.JAVA_INT.byteSize();
    /** Room for one SCM_RIGHTS message with {@link #MAX_FDS} descriptors. */
    public static final long CONTROL_SIZE = Control.space(MAX_FDS * FD_SIZE);

    /** Idle instances kept: enough for every core to be in a call at once, twice over. */
    static final int POOL_SIZE = Math.min(64, Math.max(4, 2 * Runtime.getRuntime().availableProcessors()));
    private static final AtomicReferenceArray<IoScratch> POOL = new AtomicReferenceArray<>(POOL_SIZE);

    public final MemorySegment staging;
    public final MemorySegment iovecs;
    public final MemorySegment msghdr;
    public final MemorySegment control;
    /** For each iovec of a gather: the index of its part and the offset into that part. */
    public final int[] part = new int[IOV_MAX];
    public final long[] partOffset = new long[IOV_MAX];
    /** Descriptors received by the last recvmsg, before they are wrapped. */
    public final int[] fds = new int[MAX_FDS];
    /** Descriptors a send holds for its call; cleared before the scratch goes back. */
    public final Object[] held = new Object[MAX_FDS];
    /** What the last gather offered: its byte count, and whether that was every part. */
    public long gathered;
    public boolean complete;
    /** Bytes of {@link #staging} the iovecs being built already use. */
    public long staged;
    /** A call-sized staging area beyond {@link #STAGING_SIZE}, freed by {@link #release()}. */
    private Arena temporary;

    private IoScratch() {
        // Automatic: an instance the pool has no room for is freed by the GC once dropped.
        Arena arena = Arena.ofAuto();
        staging = arena.allocate(STAGING_SIZE, 16);
        iovecs = arena.allocate(IOVEC_SIZE * IOV_MAX, 8);
        msghdr = arena.allocate(io.ffmepoll.internal.gen.msghdr.layout());
        control = arena.allocate(CONTROL_SIZE, 8);
    }

    /** An instance for the caller alone until it calls {@link #release()}. */
    public static IoScratch take() {
        int start = (int) Thread.currentThread().threadId();
        for (int i = 0; i < POOL_SIZE; i++) {
            int slot = Math.floorMod(start + i, POOL_SIZE);
            IoScratch s = POOL.get(slot);
            if (s != null && POOL.compareAndSet(slot, s, null)) return s;
        }
        return new IoScratch();
    }

    /** Gives the instance back (or drops it when the pool is full); frees a temporary staging area. */
    public void release() {
        if (temporary != null) {
            temporary.close();
            temporary = null;
        }
        int start = (int) Thread.currentThread().threadId();
        for (int i = 0; i < POOL_SIZE; i++) {
            int slot = Math.floorMod(start + i, POOL_SIZE);
            if (POOL.get(slot) == null && POOL.compareAndSet(slot, null, this)) return;
        }
    }

    /**
     * Staging of at least {@code size} bytes: {@link #staging} when it is big enough, else a
     * temporary area of exactly {@code size} bytes, for a datagram that must move in one call.
     * The temporary is confined to the calling thread and freed by {@link #release()}.
     */
    public MemorySegment staging(long size) {
        if (size <= STAGING_SIZE) return staging;
        if (temporary != null) temporary.close();
        temporary = Arena.ofConfined();
        return temporary.allocate(size, 16);
    }

    /** Points iovec {@code i} at native address {@code base} for {@code length} bytes. */
    public void iovec(int i, long base, long length) {
        long at = i * IOVEC_SIZE;
        iovecs.set(ValueLayout.JAVA_LONG, at + IOV_BASE, base);
        iovecs.set(ValueLayout.JAVA_LONG, at + IOV_LEN, length);
    }

    public long iovBase(int i) {
        return iovecs.get(ValueLayout.JAVA_LONG, i * IOVEC_SIZE + IOV_BASE);
    }

    public long iovLength(int i) {
        return iovecs.get(ValueLayout.JAVA_LONG, i * IOVEC_SIZE + IOV_LEN);
    }

    /** Resets the msghdr to: no name, {@code iovCount} iovecs from {@link #iovecs}, no control. */
    public MemorySegment msghdr(int iovCount) {
        msghdr.fill((byte) 0);
        io.ffmepoll.internal.gen.msghdr.msg_iov(msghdr, iovecs);
        io.ffmepoll.internal.gen.msghdr.msg_iovlen(msghdr, iovCount);
        return msghdr;
    }
}
