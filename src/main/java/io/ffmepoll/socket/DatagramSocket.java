package io.ffmepoll.socket;

import io.ffmepoll.epoll.Errors;
import io.ffmepoll.epoll.NativeIOException;
import io.ffmepoll.internal.sys.IoScratch;
import io.ffmepoll.internal.sys.Sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * A non-blocking datagram socket: {@link UdpSocket} or {@link UnixDatagram}. Message boundaries
 * are kept: one receive returns one datagram (cut to the buffer if longer, as
 * {@code recv(2)} does, and then {@link #truncated()} says so), and an empty datagram reads as
 * 0, never as end of stream.
 * <p>Each socket keeps two 128-byte address slots of its own, allocated on first use: the last
 * sender (so {@link #reply(MemorySegment)} answers without decoding it) and the last target
 * (so repeated {@link #send(MemorySegment, SocketAddress)} to the same address object skips
 * re-encoding). Nothing is allocated per call.
 * {@snippet :
 * int n = udp.receive(buffer);                 // one datagram, or WOULD_BLOCK
 * if (n >= 0) {
 *     SocketAddress from = udp.sender();       // decoded only when asked
 *     udp.reply(buffer.asSlice(0, n));         // echo it back
 * }
 * }
 */
public abstract sealed class DatagramSocket extends SocketDescriptor permits UdpSocket, UnixDatagram {

    private static final int MSG_TRUNC = io.ffmepoll.internal.gen.Linux.MSG_TRUNC();

    private MemorySegment senderSlot;
    private MemorySegment senderLength;
    /** The length of the address in senderSlot; -1 until a datagram was received. */
    private int senderLengthSeen = -1;
    private boolean truncated;
    private MemorySegment targetSlot;
    private SocketAddress lastTarget;
    private int lastTargetLength;

    DatagramSocket(int fd, int family) {
        super(fd, family);
    }

    private void slots() {
        if (senderSlot == null) {
            // Freed by the GC with the socket: an explicit free would race a call in flight.
            Arena arena = Arena.ofAuto();
            MemorySegment m = arena.allocate(2L * AddressCodec.STORAGE_SIZE + 8, 8);
            senderSlot = m.asSlice(0, AddressCodec.STORAGE_SIZE);
            targetSlot = m.asSlice(AddressCodec.STORAGE_SIZE, AddressCodec.STORAGE_SIZE);
            senderLength = m.asSlice(2L * AddressCodec.STORAGE_SIZE, 4);
        }
    }

    /**
     * Sets the default peer ({@code connect(2)} on a datagram socket completes at once): then
     * {@link #read(MemorySegment)}/{@link #write(MemorySegment)} work, and only datagrams from
     * that peer are received.
     * @param remote the peer's address, of this socket's family
     * @throws NativeIOException if {@code connect(2)} fails, as ENOENT or ECONNREFUSED for a Unix
     *         path nobody is bound to
     */
    public void connect(SocketAddress remote) throws NativeIOException {
        int r = connectTo(remote);
        if (r < 0) throw Errors.exception("connect(" + remote + ")", r);
    }

    /**
     * The connected peer's address.
     * @return the address given to {@link #connect(SocketAddress)}
     * @throws NativeIOException ENOTCONN if not connected
     */
    public SocketAddress peerAddress() throws NativeIOException {
        return name(true);
    }

    // ---- addressed datagrams

    /**
     * Receives one datagram into {@code dst} and remembers its sender ({@code recvfrom}).
     * Owner thread only, as every receive.
     * @param dst where the datagram goes
     * @return its length (0 for an empty datagram; cut to {@code dst}'s size if longer, see
     *         {@link #truncated()}) or {@link #WOULD_BLOCK}
     * @throws NativeIOException any error but {@code EAGAIN}
     */
    public int receive(MemorySegment dst) throws NativeIOException {
        return receiveOne(dst, true);
    }

    /**
     * Whether the datagram the last {@link #receive(MemorySegment) receive} or
     * {@link #read(MemorySegment) read} returned was longer than the buffer, its excess
     * discarded (the kernel's {@code MSG_TRUNC}); false after one that found nothing.
     * Owner thread only.
     * @return whether the last datagram returned was cut
     */
    public boolean truncated() {
        return truncated;
    }

    /**
     * The one single-datagram receive: recvfrom with MSG_TRUNC, so the kernel returns the
     * datagram's real length and a cut shows; the sender is recorded only when asked and only
     * when a datagram came (a failed call leaves the last sender as it was).
     */
    private int receiveOne(MemorySegment dst, boolean recordSender) throws NativeIOException {
        writable(dst);
        long want = Math.min(dst.byteSize(), Integer.MAX_VALUE);
        MemorySegment from = MemorySegment.NULL;
        MemorySegment fromLength = MemorySegment.NULL;
        if (recordSender) {
            slots();
            from = senderSlot;
            fromLength = senderLength;
            fromLength.set(ValueLayout.JAVA_INT, 0, AddressCodec.STORAGE_SIZE);
        }
        // Heap memory is staged whole: one call takes one datagram, so it must not be cut.
        IoScratch io = dst.isNative() ? null : IoScratch.take();
        long r;
        try {
            MemorySegment buf = io == null ? dst : io.staging(want);
            int fd = acquire();
            try {
                r = Sys.recvfrom(fd, buf, want, MSG_TRUNC, from, fromLength);
            } finally {
                release();
            }
            long got = Math.min(r, want);
            if (got > 0 && io != null) MemorySegment.copy(buf, 0, dst, 0, got);
        } finally {
            if (io != null) io.release();
        }
        truncated = r > want;
        if (r < 0) {
            if (r == -EAGAIN) return WOULD_BLOCK;
            throw Errors.exception(recordSender ? "recvfrom" : "recv", r);
        }
        if (recordSender) senderLengthSeen = fromLength.get(ValueLayout.JAVA_INT, 0);
        return (int) Math.min(r, want);
    }

    /**
     * As {@link #receive(MemorySegment)}, into {@code dst}'s remaining space, advancing its position.
     * @param dst the buffer to fill
     * @return as {@link #receive(MemorySegment)}
     * @throws NativeIOException any error but {@code EAGAIN}
     */
    public int receive(ByteBuffer dst) throws NativeIOException {
        int n = receive(MemorySegment.ofBuffer(dst));
        if (n > 0) dst.position(dst.position() + n);
        return n;
    }

    /**
     * As {@link #receive(MemorySegment)}, into {@code dst[offset, offset+length)}.
     * @param dst the array to fill
     * @param offset where in {@code dst} the datagram goes
     * @param length the room for it
     * @return as {@link #receive(MemorySegment)}
     * @throws NativeIOException any error but {@code EAGAIN}
     */
    public int receive(byte[] dst, int offset, int length) throws NativeIOException {
        return receive(heap(dst, offset, length));
    }

    /**
     * The sender of the last datagram {@link #receive(MemorySegment) received} on this socket.
     * @return the sender's address (the same object while the same sender keeps sending)
     * @throws IllegalStateException if nothing was received yet
     */
    public SocketAddress sender() {
        if (senderLengthSeen < 0) throw new IllegalStateException("no datagram received yet");
        return AddressCodec.decode(senderSlot, senderLengthSeen);
    }

    /**
     * Sends one datagram to {@code target} ({@code sendto}).
     * @param src the datagram
     * @param target a resolved address of this socket's family (an IPv6 socket maps IPv4 ones)
     * @return bytes sent (the whole datagram) or {@link #WOULD_BLOCK}
     * @throws NativeIOException EMSGSIZE if too large for the socket
     */
    public int send(MemorySegment src, SocketAddress target) throws NativeIOException {
        Objects.requireNonNull(target, "target");
        slots();
        if (target != lastTarget) {
            lastTargetLength = AddressCodec.encode(target, family, targetSlot);
            lastTarget = target;
        }
        return sendTo(src, targetSlot, lastTargetLength);
    }

    /**
     * As {@link #send(MemorySegment, SocketAddress)}, from {@code src}'s remaining bytes (position advanced).
     * @param src the buffer holding the datagram
     * @param target where to send it
     * @return as {@link #send(MemorySegment, SocketAddress)}
     * @throws NativeIOException as {@link #send(MemorySegment, SocketAddress)}
     */
    public int send(ByteBuffer src, SocketAddress target) throws NativeIOException {
        int n = send(MemorySegment.ofBuffer(src), target);
        if (n > 0) src.position(src.position() + n);
        return n;
    }

    /**
     * As {@link #send(MemorySegment, SocketAddress)}, from {@code src[offset, offset+length)}.
     * @param src the array holding the datagram
     * @param offset its first byte
     * @param length its length
     * @param target where to send it
     * @return as {@link #send(MemorySegment, SocketAddress)}
     * @throws NativeIOException as {@link #send(MemorySegment, SocketAddress)}
     */
    public int send(byte[] src, int offset, int length, SocketAddress target) throws NativeIOException {
        return send(heap(src, offset, length), target);
    }

    /**
     * Sends one datagram to the sender of the last one received, without decoding its address.
     * @param src the datagram
     * @return bytes sent or {@link #WOULD_BLOCK}
     * @throws IllegalStateException if nothing was received yet
     * @throws NativeIOException as {@link #send(MemorySegment, SocketAddress)}
     */
    public int reply(MemorySegment src) throws NativeIOException {
        if (senderLengthSeen < 0) throw new IllegalStateException("no datagram received yet");
        return sendTo(src, senderSlot, senderLengthSeen);
    }

    private int sendTo(MemorySegment src, MemorySegment addr, int addrLen) throws NativeIOException {
        long want = src.byteSize();
        // Heap memory is staged whole: one call sends one datagram.
        IoScratch io = src.isNative() ? null : IoScratch.take();
        long r;
        try {
            MemorySegment buf = src;
            if (io != null) {
                buf = io.staging(want);
                MemorySegment.copy(src, 0, buf, 0, want);
            }
            int fd = acquire();
            try {
                r = Sys.sendto(fd, buf, want, MSG_NOSIGNAL, addr, addrLen);
            } finally {
                release();
            }
        } finally {
            if (io != null) io.release();
        }
        if (r >= 0) return (int) r;
        if (r == -EAGAIN) return WOULD_BLOCK;
        throw Errors.exception("sendto", r);
    }

    // ---- connected datagrams

    /**
     * Receives one datagram from the connected peer.
     * @param dst where the datagram goes
     * @return its length (0 for an empty datagram; cut to {@code dst}'s size if longer, see
     *         {@link #truncated()}) or {@link #WOULD_BLOCK}
     * @throws NativeIOException ECONNREFUSED when an earlier datagram was refused (ICMP), and other
     *        errors but {@code EAGAIN}
     */
    public int read(MemorySegment dst) throws NativeIOException {
        return receiveOne(dst, false);
    }

    /**
     * Sends {@code src} as one datagram to the connected peer.
     * @param src the datagram
     * @return bytes sent or {@link #WOULD_BLOCK}
     * @throws NativeIOException ECONNREFUSED when an earlier datagram was refused (ICMP), EDESTADDRREQ
     *         if not connected
     */
    public int write(MemorySegment src) throws NativeIOException {
        return send(src, false);
    }

    // ---- batches

    /**
     * Receives up to {@code batch.capacity()} datagrams in one call ({@code recvmmsg}).
     * @param batch the slots to fill; their lengths, senders and truncation are set
     * @return the number received (slots 0..n-1 filled), or {@link #WOULD_BLOCK} if none was queued
     * @throws NativeIOException any error but {@code EAGAIN}
     */
    public int receive(DatagramBatch batch) throws NativeIOException {
        batch.prepareReceive();
        int fd = acquire();
        int r;
        try {
            r = Sys.recvmmsg(fd, batch.headers, batch.capacity(), 0);
        } finally {
            release();
        }
        if (r >= 0) {
            batch.completeReceive(r);
            return r;
        }
        if (r == -EAGAIN) return WOULD_BLOCK;
        throw Errors.exception("recvmmsg", r);
    }

    /**
     * Sends slots {@code [offset, offset+count)} of {@code batch} in one call ({@code sendmmsg}),
     * each to its slot's target (or the connected peer when the slot has none).
     * @param batch the filled slots
     * @param offset the first slot to send
     * @param count how many slots to send
     * @return the number of datagrams sent, from {@code offset} on (fewer than {@code count} when
     *         the send buffer filled), or {@link #WOULD_BLOCK} if none could be
     * @throws NativeIOException EMSGSIZE, ECONNREFUSED and other errors but {@code EAGAIN}
     */
    public int send(DatagramBatch batch, int offset, int count) throws NativeIOException {
        Objects.checkFromIndexSize(offset, count, batch.capacity());
        if (count == 0) return 0;
        batch.prepareSend(offset, count, family);
        int fd = acquire();
        int r;
        try {
            r = Sys.sendmmsg(fd, batch.headersFrom(offset), count, MSG_NOSIGNAL);
        } finally {
            release();
        }
        if (r >= 0) return r;
        if (r == -EAGAIN) return WOULD_BLOCK;
        throw Errors.exception("sendmmsg", r);
    }
}
