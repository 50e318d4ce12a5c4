package io.ffmepoll.socket;

import io.ffmepoll.internal.sys.Control;
import io.ffmepoll.internal.sys.IoScratch;
import io.ffmepoll.epoll.Descriptor;
import io.ffmepoll.epoll.Errors;
import io.ffmepoll.epoll.NativeIOException;
import io.ffmepoll.internal.gen.Linux;
import io.ffmepoll.internal.gen.cmsghdr;
import io.ffmepoll.internal.gen.linger;
import io.ffmepoll.internal.gen.msghdr;
import io.ffmepoll.internal.gen.ucred;
import io.ffmepoll.internal.sys.Leases;
import io.ffmepoll.internal.sys.NativeAccess;
import io.ffmepoll.internal.sys.NativeScratch;
import io.ffmepoll.internal.sys.Sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;

/**
 * A non-blocking, close-on-exec socket owned by this object: the common part of every socket
 * kind (addresses, typed options, and the I/O core the subclasses expose).
 * <p>Every socket is created with {@code SOCK_NONBLOCK | SOCK_CLOEXEC} and closed exactly once
 * (see {@link Descriptor}). I/O does not allocate native memory per call: addresses go through
 * the thread's {@link NativeScratch}, and heap arrays and buffers are copied through pooled
 * native staging, because the errno-capturing downcalls cannot take heap memory (a heap
 * datagram larger than 64 KiB is staged whole in a temporary the size of the call).
 * {@snippet :
 * try (TcpListener listener = TcpListener.bind(new InetSocketAddress("127.0.0.1", 0), 128)) {
 *     InetSocketAddress bound = listener.localAddress();   // the real port
 *     listener.setOption(Option.TCP_DEFER_ACCEPT, 1);
 * }
 * }
 * <p>Subclasses live in this package only (the hierarchy is sealed).
 * <p>I/O methods on one socket are meant for one thread at a time (the event loop that owns it);
 * {@link #close()} may come from any thread.
 */
public abstract sealed class SocketDescriptor extends Descriptor
        permits StreamSocket, DatagramSocket, StreamListener {

    static final int NONBLOCK_CLOEXEC = Linux.SOCK_NONBLOCK() | Linux.SOCK_CLOEXEC();
    static final int SOCK_STREAM = Linux.SOCK_STREAM();
    static final int SOCK_DGRAM = Linux.SOCK_DGRAM();
    static final int MSG_NOSIGNAL = Linux.MSG_NOSIGNAL();
    static final int EAGAIN = Errors.EAGAIN;
    private static final int SOL_SOCKET = Linux.SOL_SOCKET();
    private static final int SO_ERROR = Linux.SO_ERROR();
    private static final int SO_PEERCRED = Linux.SO_PEERCRED();
    private static final int SO_LINGER = Linux.SO_LINGER();
    private static final int STAGING = IoScratch.STAGING_SIZE;

    /** The address family: AF_INET, AF_INET6 or AF_UNIX. */
    final int family;
    /**
     * Whether SO_LINGER with a positive time may be on: set here, or on the listener this
     * socket was accepted from (Linux copies it to the sockets it accepts). Checked with
     * getsockopt at close, so the common close costs no extra call.
     */
    volatile boolean mayLinger;
    SocketDescriptor(int fd, int family) {
        super(fd);
        this.family = family;
    }

    /** socket(2) with SOCK_NONBLOCK | SOCK_CLOEXEC. */
    static int open(int family, int type) throws NativeIOException {
        return Errors.check("socket", Sys.socket(family, type | NONBLOCK_CLOEXEC, 0));
    }

    /** Applies option values in order, for factory methods (before bind or connect). */
    final void apply(Option.Value<?>[] values) throws NativeIOException {
        for (Option.Value<?> v : values) applyOne(v);
    }

    private <T> void applyOne(Option.Value<T> v) throws NativeIOException {
        setOption(v.option(), v.value());
    }

    // ---- addresses

    /** bind(2) to {@code local}; the call in an error names the address. */
    final void bindTo(SocketAddress local) throws NativeIOException {
        int r = addressed(local, false);
        if (r < 0) throw Errors.exception("bind(" + local + ")", r);
    }

    /** connect(2) to {@code remote}: 0 or -errno (EINPROGRESS and EAGAIN are the caller's to read). */
    final int connectTo(SocketAddress remote) {
        return addressed(remote, true);
    }

    /** bind(2) or connect(2) with {@code address} encoded in the thread's scratch. */
    private int addressed(SocketAddress address, boolean connect) {
        NativeScratch s = NativeScratch.current();
        int len = AddressCodec.encode(address, family, s.address);
        int fd = acquire();
        try {
            return connect ? Sys.connect(fd, s.address, len) : Sys.bind(fd, s.address, len);
        } finally {
            release();
        }
    }

    /**
     * The address this socket is bound to ({@code getsockname}); after binding port 0 it holds
     * the port the kernel chose.
     * @return the local address
     * @throws IllegalStateException if closed
     * @throws NativeIOException if {@code getsockname} fails
     */
    public SocketAddress localAddress() throws NativeIOException {
        return name(false);
    }

    /** getsockname or getpeername through the thread's scratch. */
    final SocketAddress name(boolean peer) throws NativeIOException {
        NativeScratch s = NativeScratch.current();
        MemorySegment addr = s.address;
        MemorySegment len = s.addressLength;
        s.setInt(NativeScratch.ADDRESS_LENGTH, AddressCodec.STORAGE_SIZE);
        int fd = acquire();
        int r;
        try {
            r = peer ? Sys.getpeername(fd, addr, len) : Sys.getsockname(fd, addr, len);
        } finally {
            release();
        }
        Errors.check(peer ? "getpeername" : "getsockname", r);
        return AddressCodec.decode(addr, s.getInt(NativeScratch.ADDRESS_LENGTH));
    }

    // ---- options

    /**
     * Sets a socket option.
     * @param <T> the option's value type
     * @param option the option
     * @param value its new value
     * @throws NativeIOException if the kernel refuses it; {@code call()} names the option, as
     *         {@code "setsockopt(TCP_NODELAY)"}
     * @throws IllegalStateException if closed
     */
    public final <T> void setOption(Option<T> option, T value) throws NativeIOException {
        Objects.requireNonNull(option, "option");
        Objects.requireNonNull(value, "value");
        NativeScratch s = NativeScratch.current();
        MemorySegment v = s.option;
        int len = 4;
        switch (option.kind) {
            case BOOLEAN -> s.setInt(NativeScratch.OPTION, (Boolean) value ? 1 : 0);
            case INT -> s.setInt(NativeScratch.OPTION, (Integer) value);
            case LINGER -> {
                int seconds = (Integer) value;
                linger.l_onoff(v, seconds >= 0 ? 1 : 0);
                linger.l_linger(v, Math.max(seconds, 0));
                len = (int) linger.sizeof();
            }
        }
        if (option.kind == Option.Kind.LINGER && (Integer) value > 0) mayLinger = true;
        setOptionValue(option.level, option.number, v, len, option.setCall);
    }

    /**
     * Reads a socket option.
     * @param <T> the option's value type
     * @param option the option
     * @return its current value
     * @throws NativeIOException if the kernel refuses it; {@code call()} names the option
     * @throws IllegalStateException if closed
     */
    public final <T> T getOption(Option<T> option) throws NativeIOException {
        Objects.requireNonNull(option, "option");
        NativeScratch s = NativeScratch.current();
        MemorySegment v = s.option;
        v.fill((byte) 0);
        getOptionValue(option.level, option.number, v, (int) NativeScratch.OPTION_SIZE, option.getCall);
        Object value = switch (option.kind) {
            case BOOLEAN -> s.getInt(NativeScratch.OPTION) != 0;
            case INT -> s.getInt(NativeScratch.OPTION);
            case LINGER -> linger.l_onoff(v) != 0 ? linger.l_linger(v) : -1;
        };
        return option.type().cast(value);
    }

    /**
     * setsockopt with the value already in native memory: the one place options reach the kernel.
     * @param call names the option in an exception, as {@code "setsockopt(TCP_NODELAY)"}
     */
    final void setOptionValue(int level, int name, MemorySegment value, int length, String call)
            throws NativeIOException {
        int fd = acquire();
        int r;
        try {
            r = Sys.setsockopt(fd, level, name, value, length);
        } finally {
            release();
        }
        if (r < 0) throw Errors.exception(call, r);
    }

    /**
     * getsockopt into {@code value}, offering {@code capacity} bytes of it: the one place options
     * are read from the kernel.
     * @return the length the kernel reports (it may be more than it wrote, if it had more)
     */
    final int getOptionValue(int level, int name, MemorySegment value, int capacity, String call)
            throws NativeIOException {
        NativeScratch s = NativeScratch.current();
        s.setInt(NativeScratch.INTS, capacity);
        int fd = acquire();
        int r;
        try {
            r = Sys.getsockopt(fd, level, name, value, s.ints);
        } finally {
            release();
        }
        if (r < 0) throw Errors.exception(call, r);
        return s.getInt(NativeScratch.INTS);
    }

    // ---- raw options: the escape hatch, restricted

    /**
     * Sets any socket option to an int ({@code setsockopt(fd, level, name, &value, 4)}), for an
     * option {@link Option} does not type. Restricted: the calling module needs native access
     * (see {@link ReceivedDescriptor#adopt(int)}), because a raw option can hand the kernel
     * what the library relies on not changing (a socket filter, a different file-status
     * behaviour). The numbers are the C constants of this architecture's headers. One thread at
     * a time, like the socket's other calls.
     * {@snippet :
     * int IPPROTO_TCP = 6, TCP_WINDOW_CLAMP = 10;       // from <netinet/tcp.h>
     * stream.setRawOption(IPPROTO_TCP, TCP_WINDOW_CLAMP, 64 * 1024);
     * int clamp = stream.getRawIntOption(IPPROTO_TCP, TCP_WINDOW_CLAMP);
     * }
     * @param level the protocol level, as {@code SOL_SOCKET} or {@code IPPROTO_TCP}
     * @param name the option number
     * @param value the value
     * @throws IllegalCallerException if the calling module does not have native access enabled
     * @throws NativeIOException if the kernel refuses it; {@code call()} names level and number,
     *         as {@code "setsockopt(6, 10)"}
     * @throws IllegalStateException if closed
     */
    public final void setRawOption(int level, int name, int value) throws NativeIOException {
        NativeAccess.checkCaller(NativeAccess.CALLERS.getCallerClass(), "SocketDescriptor.setRawOption");
        NativeScratch s = NativeScratch.current();
        s.setInt(NativeScratch.OPTION, value);
        setOptionValue(level, name, s.option, Integer.BYTES, rawCall("setsockopt", level, name));
    }

    /**
     * Sets any socket option to the bytes of {@code value} (a C struct laid out by the caller,
     * in this machine's byte order). Restricted, as {@link #setRawOption(int, int, int)}.
     * One thread at a time.
     * @param level the protocol level
     * @param name the option number
     * @param value the option's bytes, at most 64 KiB
     * @throws IllegalCallerException if the calling module does not have native access enabled
     * @throws IllegalArgumentException if {@code value} is longer than 64 KiB
     * @throws NativeIOException if the kernel refuses it
     * @throws IllegalStateException if closed
     */
    public final void setRawOption(int level, int name, byte[] value) throws NativeIOException {
        NativeAccess.checkCaller(NativeAccess.CALLERS.getCallerClass(), "SocketDescriptor.setRawOption");
        if (value.length > STAGING) throw new IllegalArgumentException("option value over 64 KiB: " + value.length);
        IoScratch io = IoScratch.take();
        try {
            MemorySegment.copy(value, 0, io.staging, ValueLayout.JAVA_BYTE, 0, value.length);
            setOptionValue(level, name, io.staging, value.length, rawCall("setsockopt", level, name));
        } finally {
            io.release();
        }
    }

    /**
     * Reads any socket option as an int ({@code getsockopt} offering 4 bytes). Restricted, as
     * {@link #setRawOption(int, int, int)}. One thread at a time.
     * @param level the protocol level
     * @param name the option number
     * @return the value; an option the kernel writes as a single byte is in the low byte
     * @throws IllegalCallerException if the calling module does not have native access enabled
     * @throws NativeIOException if the kernel refuses it
     * @throws IllegalStateException if closed
     */
    public final int getRawIntOption(int level, int name) throws NativeIOException {
        NativeAccess.checkCaller(NativeAccess.CALLERS.getCallerClass(), "SocketDescriptor.getRawIntOption");
        NativeScratch s = NativeScratch.current();
        s.setInt(NativeScratch.OPTION, 0);
        getOptionValue(level, name, s.option, Integer.BYTES, rawCall("getsockopt", level, name));
        return s.getInt(NativeScratch.OPTION);
    }

    /**
     * Reads any socket option's bytes into {@code dst}. Restricted, as
     * {@link #setRawOption(int, int, int)}. One thread at a time.
     * @param level the protocol level
     * @param name the option number
     * @param dst where the bytes go; at most 64 KiB of it is offered to the kernel
     * @return how many bytes the kernel wrote into {@code dst}
     * @throws IllegalCallerException if the calling module does not have native access enabled
     * @throws NativeIOException if the kernel refuses it
     * @throws IllegalStateException if closed
     */
    public final int getRawOption(int level, int name, byte[] dst) throws NativeIOException {
        NativeAccess.checkCaller(NativeAccess.CALLERS.getCallerClass(), "SocketDescriptor.getRawOption");
        int capacity = Math.min(dst.length, STAGING);
        IoScratch io = IoScratch.take();
        try {
            int n = Math.min(capacity, getOptionValue(level, name, io.staging, capacity,
                    rawCall("getsockopt", level, name)));
            MemorySegment.copy(io.staging, ValueLayout.JAVA_BYTE, 0, dst, 0, n);
            return n;
        } finally {
            io.release();
        }
    }

    private static String rawCall(String call, int level, int name) {
        return call + "(" + level + ", " + name + ")";
    }

    /** A lingering close blocks (see {@link Option#SO_LINGER}): it goes to a closer thread. */
    @Override
    protected boolean closeMayBlock(int fd) {
        return mayLinger && lingers(fd);
    }

    /** Whether {@code fd} is a socket with SO_LINGER on and a positive time (false on any error). */
    static boolean lingers(int fd) {
        NativeScratch s = NativeScratch.current();
        MemorySegment v = s.option;
        v.fill((byte) 0);
        s.setInt(NativeScratch.INTS, (int) linger.sizeof());
        return Sys.getsockopt(fd, SOL_SOCKET, SO_LINGER, v, s.ints) == 0
                && linger.l_onoff(v) != 0 && linger.l_linger(v) > 0;
    }

    /** SO_ERROR: the pending socket error (read and cleared), 0 if none. */
    final int takeError() throws NativeIOException {
        NativeScratch s = NativeScratch.current();
        getOptionValue(SOL_SOCKET, SO_ERROR, s.option, Integer.BYTES, "getsockopt(SO_ERROR)");
        return s.getInt(NativeScratch.OPTION);
    }

    /** One step in making a socket; see {@link #setUp}. */
    interface Setup<S> {
        void apply(S socket) throws NativeIOException;
    }

    /**
     * Runs {@code setup} on a socket just opened and returns the socket; if a step fails, closes
     * it before rethrowing, so a failed factory method leaves no descriptor behind.
     */
    static <S extends SocketDescriptor> S setUp(S socket, Setup<? super S> setup) throws NativeIOException {
        try {
            setup.apply(socket);
            return socket;
        } catch (NativeIOException | RuntimeException | Error e) {
            socket.close();
            throw e;
        }
    }

    final void shutdown(int how, String call) throws NativeIOException {
        int fd = acquire();
        int r;
        try {
            r = Sys.shutdown(fd, how);
        } finally {
            release();
        }
        Errors.check(call, r);
    }

    // ---- the I/O core: results are n, EOF or WOULD_BLOCK; other errors throw

    /** send(2) with MSG_NOSIGNAL: a closed peer is EPIPE, never SIGPIPE. */
    final int send(MemorySegment src, boolean stream) throws NativeIOException {
        return writeBytes(src, stream ? Transfer.STREAM_SOCKET : Transfer.DATAGRAM_SOCKET);
    }

    /** A heap or native view of an element of a MemorySegment[] or ByteBuffer[]. */
    private static MemorySegment segment(Object o) {
        return o instanceof MemorySegment m ? m : MemorySegment.ofBuffer((ByteBuffer) o);
    }

    /** Owns no arena: a confined segment is never accessible by it, any other kind always is. */
    private static final Thread NO_OWNER = Thread.ofVirtual().unstarted(() -> { });
    private static final MemorySegment.Scope GLOBAL = Arena.global().scope();

    /**
     * Checks a segment whose address goes into an iovec exactly as the linker checks a downcall
     * argument, and says whether that address may reach the kernel as is.
     * <p>A segment passed as a downcall argument is checked (alive, accessible from this thread)
     * and its scope is held for the call by the linker itself; an address stored inside a struct
     * is a bare number, and JDK 22 has no public way to hold a scope. So: a closed scope throws
     * {@link IllegalStateException}, another thread's confined segment throws
     * {@link WrongThreadException}, and an address goes into the iovec directly only when nothing
     * can free its memory before the call returns:
     * <ul>
     * <li>confined to this thread: only the owner can close a confined arena, and the owner is
     *     busy in this call (no callback runs user code until it returns);
     * <li>the global scope ({@code Arena.global()}, {@code MemorySegment.ofAddress}): never freed.
     * </ul>
     * Every other native segment (a shared arena, which any thread may close at any moment, or
     * an automatic arena or a direct buffer, which the public API cannot tell from a shared one)
     * is copied through staging like heap memory: the copy is a scoped access, so a concurrent
     * close makes it throw instead of freeing memory the kernel is using.
     * @return true to pass the address directly, false to stage the bytes
     */
    static boolean passDirectly(MemorySegment part) {
        if (!part.scope().isAlive()) throw new IllegalStateException("Already closed");
        if (!part.isAccessibleBy(Thread.currentThread())) {
            throw new WrongThreadException("Attempted access outside owning thread");
        }
        return part.isNative() && (!part.isAccessibleBy(NO_OWNER) || GLOBAL.equals(part.scope()));
    }

    /** Checks every part as {@link #passDirectly} does, before any byte moves. */
    private static void checkParts(Object[] parts, int offset, int length, boolean destination) {
        for (int i = offset, end = offset + length; i < end; i++) {
            MemorySegment m = segment(parts[i]);
            passDirectly(m);
            if (destination) writable(m);
        }
    }

    /** Checks that each range {@code [from[i], from[i]+len[i])} lies inside {@code parts[i]}. */
    private static void checkRanges(MemorySegment[] parts, long[] from, long[] len, int count) {
        Objects.checkFromIndexSize(0, count, parts.length);
        Objects.checkFromIndexSize(0, count, from.length);
        Objects.checkFromIndexSize(0, count, len.length);
        for (int i = 0; i < count; i++) Objects.checkFromIndexSize(from[i], len[i], parts[i].byteSize());
    }

    /**
     * Points iovec {@code n} at {@code len} bytes of {@code m} from {@code from}: its own address
     * when {@link #passDirectly} allows, else the next free bytes of staging (copied in when
     * {@code copyIn}).
     * @return the bytes the iovec covers: {@code len}, fewer when staging filled up, 0 (and no
     *         iovec) when it is full
     */
    private static long place(IoScratch io, int n, MemorySegment m, long from, long len, boolean copyIn) {
        if (passDirectly(m)) {
            io.iovec(n, m.address() + from, len);
            return len;
        }
        long room = STAGING - io.staged;
        if (room == 0 && len > 0) return 0;
        long c = Math.min(len, room);
        if (copyIn) MemorySegment.copy(m, from, io.staging, io.staged, c);
        io.iovec(n, io.staging.address() + io.staged, c);
        io.staged += c;
        return c;
    }

    /**
     * Fills the thread's iovec array from {@code parts[offset, offset+length)} (MemorySegment or
     * ByteBuffer elements), leaving out the first {@code skip} bytes of their concatenation.
     * Parts that cannot be passed directly go through staging (see {@link #place}). Records in
     * {@code io} the bytes gathered, whether that was everything, and each iovec's part and offset.
     * @return the iovec count; stops at IOV_MAX or when staging is full
     */
    private static int gather(IoScratch io, Object[] parts, long[] starts, long[] lengths, int offset, int length,
                              long skip, boolean copyIn) {
        io.staged = 0;
        long bytes = 0;
        int n = 0;
        boolean complete = true;
        for (int i = offset, end = offset + length; i < end; i++) {
            MemorySegment m = segment(parts[i]);
            long base = starts == null ? 0 : starts[i];
            long size = lengths == null ? m.byteSize() : lengths[i];
            if (skip >= size) {   // empty, or already moved by an earlier round
                skip -= size;
                continue;
            }
            long from = base + skip;
            long len = size - skip;
            skip = 0;
            if (n == IoScratch.IOV_MAX) {
                complete = false;
                break;
            }
            long c = place(io, n, m, from, len, copyIn);
            if (c == 0) {
                complete = false;
                break;
            }
            io.part[n] = i;
            io.partOffset[n++] = from;
            bytes += c;
            if (c < len) {
                complete = false;
                break;
            }
        }
        io.gathered = bytes;
        io.complete = complete;
        return n;
    }

    /** After a scatter read of {@code got} bytes, copies the staged parts out of staging. */
    private static void scatterBack(IoScratch io, Object[] parts, int iovCount, long got) {
        long stagingBase = io.staging.address();
        long left = got;
        for (int j = 0; j < iovCount && left > 0; j++) {
            long take = Math.min(io.iovLength(j), left);
            long at = io.iovBase(j) - stagingBase;
            // A part passed directly cannot lie inside staging, which is our own allocation.
            if (at >= 0 && at < io.staging.byteSize()) {
                MemorySegment.copy(io.staging, at, segment(parts[io.part[j]]), io.partOffset[j], take);
            }
            left -= take;
        }
    }

    /** Moves each ByteBuffer's position past the {@code n} bytes consumed or produced. */
    static void advance(ByteBuffer[] buffers, int offset, int length, long n) {
        for (int i = offset, end = offset + length; i < end && n > 0; i++) {
            ByteBuffer b = buffers[i];
            int take = (int) Math.min(b.remaining(), n);
            b.position(b.position() + take);
            n -= take;
        }
    }

    /**
     * Gathering write: sendmsg with MSG_NOSIGNAL over the thread's iovec array. When not all
     * parts fit one call (over 1024 parts, or heap parts beyond the staging size) and the
     * kernel took everything offered, it goes round again, so a short count still means the
     * socket is full (what an edge-triggered writer relies on).
     */
    final long writeVector(Object[] parts, int offset, int length) throws NativeIOException {
        Objects.checkFromIndexSize(offset, length, parts.length);
        return writeVector(parts, null, null, offset, length);
    }

    /**
     * As {@link #writeVector(Object[], int, int)}, of the byte ranges {@code [starts[i],
     * starts[i]+lengths[i])} of {@code parts[0..count)}: a caller that sends parts of pooled
     * buffers makes no slice per part.
     */
    final long writeVector(MemorySegment[] parts, long[] starts, long[] lengths, int count) throws NativeIOException {
        checkRanges(parts, starts, lengths, count);
        return writeVector(parts, starts, lengths, 0, count);
    }

    private long writeVector(Object[] parts, long[] starts, long[] lengths, int offset, int length)
            throws NativeIOException {
        checkParts(parts, offset, length, false);
        throwDeferred("sendmsg");
        long total = 0;
        int fd = acquire();
        IoScratch io = null;
        try {
            io = IoScratch.take();
            for (;;) {
                int n = gather(io, parts, starts, lengths, offset, length, total, true);
                if (n == 0) break;
                long r = Sys.sendmsg(fd, io.msghdr(n), MSG_NOSIGNAL);
                if (r < 0) {
                    if (total == 0) return ioResult("sendmsg", r, 1, false);
                    deferError(r);
                    break;
                }
                total += r;
                if (r < io.gathered || io.complete) break;
            }
        } finally {
            if (io != null) io.release();
            release();
        }
        return total;
    }

    /**
     * Scattering read: readv over the thread's iovec array, 0 bytes being EOF for a stream;
     * goes round again like {@link #writeVector} when the parts did not fit one call.
     */
    final long readVector(Object[] parts, int offset, int length, boolean stream) throws NativeIOException {
        Objects.checkFromIndexSize(offset, length, parts.length);
        checkParts(parts, offset, length, true);
        throwDeferred("readv");
        long total = 0;
        int fd = acquire();
        IoScratch io = null;
        try {
            io = IoScratch.take();
            for (;;) {
                int n = gather(io, parts, null, null, offset, length, total, false);
                if (n == 0) break;
                long r = Sys.readv(fd, io.iovecs, n);
                if (r <= 0) {
                    if (total == 0) return ioResult("readv", r, 1, stream);
                    deferError(r);
                    break;   // EOF and EAGAIN show again on the next call
                }
                scatterBack(io, parts, n, r);
                total += r;
                if (r < io.gathered || io.complete || !stream) break;
            }
        } finally {
            if (io != null) io.release();
            release();
        }
        return total;
    }

    /** SO_PEERCRED of a Unix domain socket. */
    final PeerCredentials peerCredentials0() throws NativeIOException {
        NativeScratch s = NativeScratch.current();
        MemorySegment v = s.option;
        // The slot holds whatever the thread's last option call left: clear it, and read only
        // what the kernel says it wrote.
        v.fill((byte) 0);
        int written = getOptionValue(SOL_SOCKET, SO_PEERCRED, v, (int) ucred.sizeof(), "getsockopt(SO_PEERCRED)");
        if (written != ucred.sizeof()) {
            throw new IllegalStateException("getsockopt(SO_PEERCRED) wrote " + written + " bytes, not " + ucred.sizeof());
        }
        return new PeerCredentials(ucred.pid(v), ucred.uid(v), ucred.gid(v));
    }

    /** socketpair(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC); the fds are in the scratch INTS. */
    static NativeScratch socketPair(int type) throws NativeIOException {
        Errors.check("socketpair", Sys.socketpair(AddressCodec.AF_UNIX, type | NONBLOCK_CLOEXEC, 0));
        return NativeScratch.current();
    }

    // ---- descriptor passing (Unix domain sockets)

    private static final int SCM_RIGHTS = Linux.SCM_RIGHTS();
    private static final int MSG_CMSG_CLOEXEC = Linux.MSG_CMSG_CLOEXEC();
    private static final long CMSG_LEN = cmsghdr.cmsg_len$offset();
    private static final long CMSG_LEVEL = cmsghdr.cmsg_level$offset();
    private static final long CMSG_TYPE = cmsghdr.cmsg_type$offset();

    /**
     * sendmsg with one SCM_RIGHTS control message carrying {@code fds}. The descriptors are
     * duplicated into the receiver by the kernel; the caller keeps (and still closes) its own.
     */
    final int sendRights(MemorySegment data, Descriptor[] fds, boolean stream) throws NativeIOException {
        Objects.requireNonNull(fds, "fds");
        if (fds.length > IoScratch.MAX_FDS) {
            throw new IllegalArgumentException("at most " + IoScratch.MAX_FDS + " descriptors per message: " + fds.length);
        }
        // A zero-length stream write queues nothing, so descriptors would silently not travel.
        if (stream && data.byteSize() == 0) throw new IllegalArgumentException("descriptors need at least one data byte");
        throwDeferred("sendmsg");
        long want = Math.min(data.byteSize(), Integer.MAX_VALUE);
        Leases.Access leases = Leases.access();
        int fd = acquire();
        IoScratch io = null;
        int held = 0;
        try {
            io = IoScratch.take();
            placeOne(io, data, want, stream, true);
            want = io.iovLength(0);
            MemorySegment msg = io.msghdr(1);
            if (fds.length > 0) {
                MemorySegment c = io.control;
                c.set(ValueLayout.JAVA_LONG, CMSG_LEN, Control.length(IoScratch.FD_SIZE * fds.length));
                c.set(ValueLayout.JAVA_INT, CMSG_LEVEL, SOL_SOCKET);
                c.set(ValueLayout.JAVA_INT, CMSG_TYPE, SCM_RIGHTS);
                for (int i = 0; i < fds.length; i++) {
                    Descriptor d = fds[i];
                    if (d == null) throw new NullPointerException("fds[" + i + "]");
                    // Held for the call, so a racing close cannot hand the kernel a recycled
                    // number; remembered in the scratch, since the caller's array may change.
                    int n = leases.acquire(d);
                    io.held[held++] = d;
                    c.set(ValueLayout.JAVA_INT, Control.DATA + IoScratch.FD_SIZE * i, n);
                }
                msghdr.msg_control(msg, c);
                msghdr.msg_controllen(msg, Control.space(IoScratch.FD_SIZE * fds.length));
            }
            long r = Sys.sendmsg(fd, msg, MSG_NOSIGNAL);
            return ioResult("sendmsg", r, want, false);
        } finally {
            for (int i = 0; i < held; i++) {
                leases.release(io.held[i]);
                io.held[i] = null;
            }
            if (io != null) io.release();
            release();
        }
    }

    /**
     * Points iovec 0 at the first {@code want} bytes of {@code m} for a one-part call: at
     * {@code m} itself when {@link #passDirectly} allows, else at staging (copied in when
     * {@code copyIn}): for a stream at most the pooled size, for a datagram all of it, in a
     * call-sized temporary when larger.
     * @return the staging iovec 0 points at, or null when it points at {@code m}; either way
     *         {@link IoScratch#iovLength iovLength(0)} is the byte count
     */
    private static MemorySegment placeOne(IoScratch io, MemorySegment m, long want, boolean stream, boolean copyIn) {
        if (passDirectly(m)) {
            io.iovec(0, m.address(), want);
            return null;
        }
        long size = stream ? Math.min(want, STAGING) : want;
        MemorySegment staging = io.staging(size);
        if (copyIn) MemorySegment.copy(m, 0, staging, 0, size);
        io.iovec(0, staging.address(), size);
        return staging;
    }

    /**
     * recvmsg with room for SCM_RIGHTS; received descriptors (close-on-exec) are appended to
     * {@code out} as owned {@link ReceivedDescriptor}s.
     */
    final int receiveRights(MemorySegment dst, List<? super ReceivedDescriptor> out, boolean stream)
            throws NativeIOException {
        Objects.requireNonNull(out, "out");
        writable(dst);
        throwDeferred("recvmsg");
        long want = Math.min(dst.byteSize(), Integer.MAX_VALUE);
        int fd = acquire();
        IoScratch io = null;
        try {
            io = IoScratch.take();
            MemorySegment staging = placeOne(io, dst, want, stream, false);
            MemorySegment msg = io.msghdr(1);
            msghdr.msg_control(msg, io.control);
            msghdr.msg_controllen(msg, io.control.byteSize());
            long r = Sys.recvmsg(fd, msg, MSG_CMSG_CLOEXEC);
            if (r >= 0) {
                collectRights(io, msghdr.msg_controllen(msg), out);
                if (r > 0 && staging != null) MemorySegment.copy(staging, 0, dst, 0, r);
            }
            return ioResult("recvmsg", r, io.iovLength(0), stream);
        } finally {
            if (io != null) io.release();
            release();
        }
    }

    /**
     * Appends a ReceivedDescriptor for every fd in the SCM_RIGHTS messages of {@code control}.
     * The numbers are gathered in the scratch first (no array per call); every one is owned
     * from then on, so if the caller's list refuses an element, that one and the rest are closed.
     */
    private static void collectRights(IoScratch io, long length, List<? super ReceivedDescriptor> out) {
        MemorySegment control = io.control;
        int[] fds = io.fds;
        int count = 0;
        for (long at = 0; at + Control.HEADER <= length; ) {
            long len = control.get(ValueLayout.JAVA_LONG, at + CMSG_LEN);
            if (len < Control.HEADER) break;
            if (control.get(ValueLayout.JAVA_INT, at + CMSG_LEVEL) == SOL_SOCKET
                    && control.get(ValueLayout.JAVA_INT, at + CMSG_TYPE) == SCM_RIGHTS) {
                for (long p = at + Control.DATA; p + IoScratch.FD_SIZE <= at + len && count < fds.length;
                        p += IoScratch.FD_SIZE) {
                    fds[count++] = control.get(ValueLayout.JAVA_INT, p);
                }
            }
            at += Control.align(len);
        }
        int added = 0;
        try {
            for (; added < count; added++) out.add(new ReceivedDescriptor(fds[added]));
        } finally {
            // Those not handed over: the one refused (its wrapper was never seen) and the rest.
            for (int i = added; i < count; i++) Sys.close(fds[i]);
        }
    }
}
