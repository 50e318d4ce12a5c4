package io.ffmepoll.socket;

import io.ffmepoll.internal.gen.iovec;
import io.ffmepoll.internal.gen.msghdr;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Per-thread native memory for socket I/O beyond {@link io.ffmepoll.internal.sys.NativeScratch}'s
 * small slots: a staging buffer for heap arrays and buffers, an iovec array, a msghdr and a
 * control-message buffer. Allocated once per thread, never per call.
 * <p>Why staging: the downcalls capture errno, and {@code Linker.Option.critical(true)} (the only
 * way to hand the kernel a heap array) cannot be combined with {@code captureCallState}. Heap
 * bytes are therefore copied through native memory. Per thread rather than per socket, so ten
 * thousand idle connections cost nothing.
 */
final class IoScratch {

    /** Staging size: one full UDP datagram (65,507 bytes) fits. */
    static final int STAGING_SIZE = 64 * 1024;
    /** UIO_MAXIOV: the kernel refuses longer iovec arrays with EINVAL. */
    static final int IOV_MAX = 1024;
    /** SCM_MAX_FD: the most descriptors one SCM_RIGHTS message may carry. */
    static final int MAX_FDS = 253;
    static final long IOVEC_SIZE = iovec.sizeof();
    static final long IOV_BASE = iovec.iov_base$offset();
    static final long IOV_LEN = iovec.iov_len$offset();

    private static final ThreadLocal<IoScratch> PER_THREAD = ThreadLocal.withInitial(IoScratch::new);

    final MemorySegment staging;
    final MemorySegment iovecs;
    final MemorySegment msghdr;
    final MemorySegment control;
    /** For each iovec of a gather: the index of its part and the offset into that part. */
    final int[] part = new int[IOV_MAX];
    final long[] partOffset = new long[IOV_MAX];
    /** What the last gather offered: its byte count, and whether that was every part. */
    long gathered;
    /** Bytes of {@link #staging} the iovecs being built already use. */
    long staged;
    boolean complete;

    private IoScratch() {
        // Freed with the thread (automatic arena): a thread-local has no close hook.
        Arena arena = Arena.ofAuto();
        staging = arena.allocate(STAGING_SIZE, 16);
        iovecs = arena.allocate(IOVEC_SIZE * IOV_MAX, 8);
        msghdr = arena.allocate(io.ffmepoll.internal.gen.msghdr.layout());
        control = arena.allocate(Control.space(MAX_FDS * 4L), 8);
    }

    static IoScratch current() {
        return PER_THREAD.get();
    }

    /** Points iovec {@code i} at native address {@code base} for {@code length} bytes. */
    void iovec(int i, long base, long length) {
        long at = i * IOVEC_SIZE;
        iovecs.set(ValueLayout.JAVA_LONG, at + IOV_BASE, base);
        iovecs.set(ValueLayout.JAVA_LONG, at + IOV_LEN, length);
    }

    long iovBase(int i) {
        return iovecs.get(ValueLayout.JAVA_LONG, i * IOVEC_SIZE + IOV_BASE);
    }

    long iovLength(int i) {
        return iovecs.get(ValueLayout.JAVA_LONG, i * IOVEC_SIZE + IOV_LEN);
    }

    /** Resets the msghdr to: no name, {@code iovCount} iovecs from {@link #iovecs}, no control. */
    MemorySegment msghdr(int iovCount) {
        msghdr.fill((byte) 0);
        io.ffmepoll.internal.gen.msghdr.msg_iov(msghdr, iovecs);
        io.ffmepoll.internal.gen.msghdr.msg_iovlen(msghdr, iovCount);
        return msghdr;
    }
}
