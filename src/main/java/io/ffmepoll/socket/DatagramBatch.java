package io.ffmepoll.socket;

import io.ffmepoll.internal.gen.mmsghdr;
import io.ffmepoll.internal.gen.msghdr;
import io.ffmepoll.internal.gen.sockaddr_in6;
import io.ffmepoll.internal.sys.IoScratch;
import io.ffmepoll.internal.sys.NativeAccess;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.net.SocketAddress;
import java.util.Objects;

/**
 * Native memory for moving many datagrams in one system call ({@code recvmmsg}/{@code sendmmsg}):
 * {@code capacity} slots, each with a buffer of {@code messageSize} bytes, a length and an address.
 * Allocate one per event loop and reuse it; nothing is allocated per call.
 * <p>After {@link DatagramSocket#receive(DatagramBatch)} slot {@code i} holds the message
 * ({@link #message(int)}), its sender ({@link #sender(int)}) and whether it was cut short
 * ({@link #truncated(int)}). Sending the same slots back echoes each message to its sender:
 * {@snippet :
 * try (DatagramBatch batch = DatagramBatch.allocate(64, 2048)) {
 *     int n = udp.receive(batch);                   // up to 64 datagrams, or WOULD_BLOCK
 *     if (n > 0) udp.send(batch, 0, n);             // each back to where it came from
 * }
 * }
 * To send new messages, fill slots with {@link #set(int, MemorySegment, SocketAddress)}.
 * <p>In steady state nothing is allocated per message: {@link #message(int)} reuses a slot's
 * view while the length repeats, {@link #sender(int)} returns the same address object for a
 * sender seen recently, and a slot given the same target object again skips re-encoding it.
 * A batch is used by one thread at a time.
 */
public final class DatagramBatch implements AutoCloseable {

    static {
        NativeAccess.check();   // before anything reaches the bindings: a denial names its flag
    }

    private static final long HEADER = mmsghdr.sizeof();
    private static final long MSG_LEN = mmsghdr.msg_len$offset();
    private static final long HDR = mmsghdr.msg_hdr$offset();
    private static final long NAME = HDR + msghdr.msg_name$offset();
    private static final long NAMELEN = HDR + msghdr.msg_namelen$offset();
    private static final long IOV = HDR + msghdr.msg_iov$offset();
    private static final long IOVLEN = HDR + msghdr.msg_iovlen$offset();
    private static final long FLAGS = HDR + msghdr.msg_flags$offset();
    private static final int MSG_TRUNC = io.ffmepoll.internal.gen.Linux.MSG_TRUNC();
    /** The most slots: recvmmsg/sendmmsg take at most UIO_MAXIOV messages per call. */
    public static final int MAX_CAPACITY = 1024;

    private final Arena arena;
    private final int capacity;
    private final int messageSize;
    final MemorySegment headers;
    private final MemorySegment iovecs;
    private final MemorySegment names;
    private final MemorySegment data;
    /**
     * Slot lengths and address lengths as the caller last saw them. The kernel's copies in the
     * headers are overwritten to receive, so a receive that finds nothing ({@code WOULD_BLOCK})
     * must not change what a following send uses.
     */
    private final int[] lengths;
    private final int[] nameLengths;
    /** Per slot: the last message view handed out, reused while the length is the same. */
    private final MemorySegment[] messages;
    /** Per slot: the target object whose encoding the slot's name holds, or null. */
    private final SocketAddress[] targets;
    private final int[] targetLengths;

    /**
     * Recently decoded senders, direct-mapped by their raw sockaddr bytes: a peer that sends
     * again gets the same address object, not a new one per datagram. Addresses up to
     * sockaddr_in6's size are cached (every IP address); longer Unix paths are decoded anew.
     */
    private static final int SENDERS = 64;
    private static final int KEY_LONGS = (int) ((sockaddr_in6.sizeof() + 7) / 8);
    private static final int KEY_BYTES = KEY_LONGS * 8;
    private static final ValueLayout.OfLong KEY = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);
    private final long[] senderKeys = new long[SENDERS * KEY_LONGS];
    private final int[] senderKeyLengths = new int[SENDERS];
    private final SocketAddress[] senders = new SocketAddress[SENDERS];

    private DatagramBatch(int capacity, int messageSize) {
        this.arena = Arena.ofShared();
        this.capacity = capacity;
        this.messageSize = messageSize;
        this.headers = arena.allocate(HEADER * capacity, 8);
        this.iovecs = arena.allocate(IoScratch.IOVEC_SIZE * capacity, 8);
        this.names = arena.allocate((long) AddressCodec.STORAGE_SIZE * capacity, 8);
        this.data = arena.allocate((long) messageSize * capacity, 16);
        this.lengths = new int[capacity];
        this.nameLengths = new int[capacity];
        this.messages = new MemorySegment[capacity];
        this.targets = new SocketAddress[capacity];
        this.targetLengths = new int[capacity];
        for (int i = 0; i < capacity; i++) {
            long h = i * HEADER;
            headers.set(ValueLayout.ADDRESS, h + NAME, names.asSlice((long) i * AddressCodec.STORAGE_SIZE));
            headers.set(ValueLayout.ADDRESS, h + IOV, iovecs.asSlice(i * IoScratch.IOVEC_SIZE));
            headers.set(ValueLayout.JAVA_LONG, h + IOVLEN, 1);
            iovecs.set(ValueLayout.ADDRESS, i * IoScratch.IOVEC_SIZE + IoScratch.IOV_BASE,
                    data.asSlice((long) i * messageSize));
        }
    }

    /**
     * Allocates a batch.
     * @param capacity slots, 1 to {@value #MAX_CAPACITY}
     * @param messageSize bytes per slot, at least 1 (65,507 holds any UDP datagram)
     * @return a new batch owning its native memory until {@link #close()}
     */
    public static DatagramBatch allocate(int capacity, int messageSize) {
        if (capacity < 1 || capacity > MAX_CAPACITY) {
            throw new IllegalArgumentException("capacity must be 1.." + MAX_CAPACITY + ": " + capacity);
        }
        if (messageSize < 1) throw new IllegalArgumentException("messageSize must be positive: " + messageSize);
        return new DatagramBatch(capacity, messageSize);
    }

    /**
     * The number of slots.
     * @return how many datagrams one call can move
     */
    public int capacity() {
        return capacity;
    }

    /**
     * The bytes each slot holds.
     * @return the slot size in bytes
     */
    public int messageSize() {
        return messageSize;
    }

    /**
     * Slot {@code i}'s whole buffer, to fill in place before {@link #setLength(int, int)}.
     * @param i a slot index below {@link #capacity()}
     * @return a segment of {@link #messageSize()} bytes, valid until the batch is closed
     */
    public MemorySegment buffer(int i) {
        Objects.checkIndex(i, capacity);
        return data.asSlice((long) i * messageSize, messageSize);
    }

    /**
     * Slot {@code i}'s message: its buffer cut to {@link #length(int)}.
     * @param i a slot index below {@link #capacity()}
     * @return the slot's message, valid until the batch is closed or the slot is reused
     */
    public MemorySegment message(int i) {
        int length = length(i);
        MemorySegment m = messages[i];
        if (m == null || m.byteSize() != length) messages[i] = m = data.asSlice((long) i * messageSize, length);
        return m;
    }

    /**
     * The length of slot {@code i}'s message (received, or set for sending).
     * @param i a slot index below {@link #capacity()}
     * @return the message length in bytes
     */
    public int length(int i) {
        return lengths[Objects.checkIndex(i, capacity)];
    }

    /**
     * Sets slot {@code i}'s message length, for a message written in place into {@link #buffer(int)}.
     * @param i a slot index below {@link #capacity()}
     * @param length the message length, 0 to {@link #messageSize()}
     */
    public void setLength(int i, int length) {
        Objects.checkIndex(i, capacity);
        if (length < 0 || length > messageSize) {
            throw new IllegalArgumentException("length must be 0.." + messageSize + ": " + length);
        }
        lengths[i] = length;
    }

    /**
     * Fills slot {@code i} for sending: copies {@code message} in and sets the destination.
     * @param target where to send it, or null for a connected socket's peer
     * @param i a slot index below {@link #capacity()}
     * @param message the datagram's bytes, copied
     * @throws IllegalArgumentException if the message is longer than {@link #messageSize()}
     */
    public void set(int i, MemorySegment message, SocketAddress target) {
        if (message.byteSize() > messageSize) {
            throw new IllegalArgumentException("message of " + message.byteSize() + " bytes exceeds the slot size " + messageSize);
        }
        Objects.checkIndex(i, capacity);
        MemorySegment.copy(message, 0, data, (long) i * messageSize, message.byteSize());
        setLength(i, (int) message.byteSize());
        setTarget(i, target);
    }

    /**
     * Sets slot {@code i}'s destination ({@code null}: the connected peer).
     * IP addresses are stored in their own family; a send from an IPv6 socket maps IPv4 ones.
     * @param i a slot index below {@link #capacity()}
     * @param target a resolved IP address, a Unix socket address, or null
     */
    public void setTarget(int i, SocketAddress target) {
        Objects.checkIndex(i, capacity);
        if (target == null) {
            nameLengths[i] = 0;
        } else if (target == targets[i]) {
            nameLengths[i] = targetLengths[i];   // the slot's name still holds its encoding
        } else {
            int len = AddressCodec.encode(target, AddressCodec.family(target), name(i));
            nameLengths[i] = len;
            targets[i] = target;
            targetLengths[i] = len;
        }
    }

    /**
     * The sender of the message received in slot {@code i}. A sender seen recently is returned
     * as the same object, without decoding it again.
     * @param i a slot index below the count the last receive returned
     * @return the sender's address
     */
    public SocketAddress sender(int i) {
        Objects.checkIndex(i, capacity);
        int length = nameLengths[i];
        if (length <= 0 || length > KEY_BYTES) return AddressCodec.decode(name(i), length);
        long base = (long) i * AddressCodec.STORAGE_SIZE;
        int h = length;
        for (int k = 0; k < KEY_LONGS; k++) h = 31 * h + Long.hashCode(key(base, k, length));
        int entry = (h ^ (h >>> 16)) & (SENDERS - 1);
        int o = entry * KEY_LONGS;
        boolean hit = senderKeyLengths[entry] == length;
        for (int k = 0; hit && k < KEY_LONGS; k++) hit = senderKeys[o + k] == key(base, k, length);
        if (hit) return senders[entry];
        SocketAddress a = AddressCodec.decode(name(i), length);
        for (int k = 0; k < KEY_LONGS; k++) senderKeys[o + k] = key(base, k, length);
        senderKeyLengths[entry] = length;
        senders[entry] = a;
        return a;
    }

    /** The k-th 8 bytes of the name at {@code base}, the bytes past {@code length} zeroed. */
    private long key(long base, int k, int length) {
        int valid = length - 8 * k;
        if (valid <= 0) return 0;
        long v = names.get(KEY, base + 8L * k);
        return valid >= 8 ? v : v & ((1L << (8 * valid)) - 1);
    }

    /**
     * Whether the datagram received in slot {@code i} was longer than the slot and cut short.
     * @param i a slot index below the count the last receive returned
     * @return whether the kernel cut the datagram ({@code MSG_TRUNC})
     */
    public boolean truncated(int i) {
        Objects.checkIndex(i, capacity);
        return (headers.get(ValueLayout.JAVA_INT, i * HEADER + FLAGS) & MSG_TRUNC) != 0;
    }

    private MemorySegment name(int i) {
        return names.asSlice((long) i * AddressCodec.STORAGE_SIZE, AddressCodec.STORAGE_SIZE);
    }

    /** Readies every slot to receive a full-size message and an address. */
    void prepareReceive() {
        for (int i = 0; i < capacity; i++) {
            long h = i * HEADER;
            headers.set(ValueLayout.JAVA_INT, h + NAMELEN, AddressCodec.STORAGE_SIZE);
            headers.set(ValueLayout.JAVA_INT, h + FLAGS, 0);
            targets[i] = null;   // the kernel overwrites the names
            iovecs.set(ValueLayout.JAVA_LONG, i * IoScratch.IOVEC_SIZE + IoScratch.IOV_LEN, messageSize);
        }
    }

    /** After recvmmsg returned {@code n}: slots 0..n-1 take the received lengths and senders. */
    void completeReceive(int n) {
        for (int i = 0; i < n; i++) {
            long h = i * HEADER;
            lengths[i] = Math.min(headers.get(ValueLayout.JAVA_INT, h + MSG_LEN), messageSize);
            nameLengths[i] = headers.get(ValueLayout.JAVA_INT, h + NAMELEN);
        }
    }

    /**
     * Before sendmmsg: copies lengths into the kernel's headers; on an IPv6 socket, IPv4 targets
     * become v4-mapped.
     */
    void prepareSend(int offset, int count, int family) {
        for (int i = offset; i < offset + count; i++) {
            long h = i * HEADER;
            iovecs.set(ValueLayout.JAVA_LONG, i * IoScratch.IOVEC_SIZE + IoScratch.IOV_LEN, lengths[i]);
            headers.set(ValueLayout.JAVA_INT, h + FLAGS, 0);
            int nameLength = nameLengths[i];
            if (family == AddressCodec.AF_INET6 && nameLength > 0) {
                MemorySegment name = name(i);
                if (name.get(ValueLayout.JAVA_SHORT, 0) == AddressCodec.AF_INET) {
                    nameLength = AddressCodec.encode(AddressCodec.decode(name, nameLength), AddressCodec.AF_INET6, name);
                    nameLengths[i] = nameLength;
                    targets[i] = null;   // the name no longer holds the target's own encoding
                }
            }
            headers.set(ValueLayout.JAVA_INT, h + NAMELEN, nameLength);
        }
    }

    /** The header of slot {@code i}, as the kernel's mmsghdr array starting there. */
    MemorySegment headersFrom(int i) {
        return headers.asSlice(i * HEADER);
    }

    /**
     * Frees the batch's memory; using it afterwards throws {@link IllegalStateException}.
     * Idempotent.
     */
    @Override
    public void close() {
        if (arena.scope().isAlive()) arena.close();
    }
}
