package io.ffmepoll.blocking;

import io.ffmepoll.epoll.Descriptor;
import io.ffmepoll.epoll.NativeIOException;
import io.ffmepoll.internal.sys.IoScratch;
import io.ffmepoll.socket.Option;
import io.ffmepoll.socket.StreamSocket;
import io.ffmepoll.socket.TcpStream;
import io.ffmepoll.socket.UnixStream;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Objects;

/**
 * A TCP or Unix domain stream with blocking reads and writes, for virtual threads (platform
 * threads work too): a call that would block parks its thread, and a {@link Poller} thread
 * unparks it when epoll reports the socket ready.
 * <p>The socket stays non-blocking in the kernel; it is registered once, edge-triggered, when
 * made blocking, and never again: blocking costs no {@code epoll_ctl}. A TCP read that returned
 * less than it asked for proves the receive queue empty, so while no edge has come since, the
 * next read parks at once instead of making a system call that would only say {@code EAGAIN}.
 * <h2>Threads</h2>
 * One thread may read while another writes. Two threads reading at once (or writing at once)
 * is a misuse; if both would block, the second throws {@link IllegalStateException}.
 * {@link #close()} is thread-safe and wakes a blocked reader and writer with a
 * {@link SocketException}; the descriptor is closed once, after they have left it.
 * <h2>Errors</h2>
 * Calls after close throw {@link SocketException}. A read past its
 * {@linkplain #setReadTimeout timeout} throws {@link SocketTimeoutException} and the stream stays
 * usable. An interrupted thread's blocked call throws {@link InterruptedIOException} (its
 * interrupt status stays set; the stream stays open). Kernel errors are
 * {@link NativeIOException}s ({@code ECONNRESET}, {@code EPIPE}, ...).
 * {@snippet :
 * try (BlockingListener listener = BlockingListener.bind(new InetSocketAddress("127.0.0.1", 0), 128)) {
 *     Thread.ofVirtual().start(() -> {
 *         try (BlockingStream s = listener.accept()) {       // parks until a client comes
 *             s.inputStream().transferTo(s.outputStream());  // echo until EOF
 *         } catch (IOException e) {
 *             // reset or closed
 *         }
 *     });
 *     try (BlockingStream client = BlockingStream.connect(listener.localAddress())) {
 *         client.outputStream().write("hello".getBytes());
 *         byte[] reply = client.inputStream().readNBytes(5);
 *     }
 * }
 * }
 */
public final class BlockingStream extends Blocking {

    private final StreamSocket stream;
    private final boolean tcp;
    /**
     * Whether the last read proved the socket empty (a short TCP read), and the read sequence
     * read before it: while the sequence has not moved, the next read may skip the system call
     * that would only say EAGAIN. The reading thread's alone.
     */
    private boolean empty;
    private int emptyAt;
    private volatile long readTimeoutNanos;
    private InputStream in;
    private OutputStream out;

    private BlockingStream(StreamSocket stream) throws IOException {
        super(stream);
        this.stream = stream;
        this.tcp = stream instanceof TcpStream;
    }

    /**
     * Makes a connected non-blocking stream blocking: registers it with a poller and takes it
     * over. From now on use the stream through this object only (options and addresses through
     * {@link #socket()} are fine). If registration fails, {@code stream} is closed.
     * @param stream an open, connected (or connecting) non-blocking stream; from now on this
     *        object owns it
     * @return the blocking stream wrapping {@code stream}
     * @throws NativeIOException if the registration fails (ENOSPC past {@code max_user_watches})
     * @throws IllegalStateException if {@code stream} is closed
     */
    public static BlockingStream of(StreamSocket stream) throws IOException {
        Objects.requireNonNull(stream, "stream");
        if (!stream.isOpen()) throw new IllegalStateException(stream + " is closed");
        return new BlockingStream(stream);
    }

    /**
     * Connects to {@code remote} and waits until connected, without a time limit.
     * @param remote a resolved {@link InetSocketAddress} for TCP, or a Unix domain address
     * @param options socket options set before connecting
     * @return the connected stream, registered with a poller
     * @throws NativeIOException the connect's failure (ECONNREFUSED, ENOENT, ...); nothing is
     *         left open
     * @throws InterruptedIOException if the thread is interrupted while waiting; nothing is left
     *         open
     * @see #connect(SocketAddress, Duration, Option.Value[])
     */
    public static BlockingStream connect(SocketAddress remote, Option.Value<?>... options) throws IOException {
        return connect(remote, Duration.ZERO, options);
    }

    /**
     * Connects to {@code remote}, a TCP ({@link InetSocketAddress}, resolved) or Unix domain
     * address, parking until connected. Thread-safe.
     * @param remote a resolved {@link InetSocketAddress} for TCP, or a Unix domain address
     * @param timeout the most to wait; {@link Duration#ZERO} waits as long as the kernel does
     * @param options set before connecting
     * @return the connected stream, registered with a poller
     * @throws SocketTimeoutException after {@code timeout}; nothing is left open
     * @throws NativeIOException the connect's failure (ECONNREFUSED, ENOENT, ...)
     * @throws InterruptedIOException if the thread is interrupted while waiting; nothing is left
     *         open
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    public static BlockingStream connect(SocketAddress remote, Duration timeout, Option.Value<?>... options)
            throws IOException {
        Objects.requireNonNull(remote, "remote");
        long timeoutNanos = nanos(timeout, "timeout");
        StreamSocket s = remote instanceof InetSocketAddress inet ? TcpStream.connect(inet, options)
                : UnixStream.connect(remote, options);
        BlockingStream b = new BlockingStream(s);
        try {
            b.finishConnect(deadline(timeoutNanos));
            return b;
        } catch (IOException | RuntimeException | Error e) {
            b.close();
            throw e;
        }
    }

    private void finishConnect(long deadline) throws IOException {
        long backoff = 1_000_000L;
        for (;;) {
            int seq = writeSeq;
            if (stream.finishConnect()) return;
            if (stream instanceof UnixStream) {
                // A Unix connect that met a full backlog is retried, and no edge says when to:
                // retry after a doubling pause (1 to 64 ms).
                long left = deadline == 0 ? backoff : Math.min(backoff, deadline - System.nanoTime());
                if (left <= 0) throw new SocketTimeoutException("connect timed out");
                ensureOpen();
                try {
                    Thread.sleep(Duration.ofNanos(left));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("connect interrupted");
                }
                backoff = Math.min(backoff * 2, 64_000_000L);
                continue;
            }
            await(false, seq, deadline, "connect");
        }
    }

    /**
     * The socket underneath, for options and addresses; its I/O is this object's. Thread-safe.
     * @return the socket this object wraps
     */
    public StreamSocket socket() {
        return stream;
    }

    /**
     * Sets the most a read waits for data; {@link Duration#ZERO} (the default) waits forever.
     * Takes effect for reads that start afterwards. Thread-safe.
     * @param timeout the longest a read parks for data; {@link Duration#ZERO} for no limit
     * @throws IllegalArgumentException if negative
     */
    public void setReadTimeout(Duration timeout) {
        readTimeoutNanos = nanos(timeout, "timeout");
    }

    /**
     * The read timeout. Thread-safe.
     * @return the most a read waits for data, {@link Duration#ZERO} for no limit
     */
    public Duration readTimeout() {
        return Duration.ofNanos(readTimeoutNanos);
    }

    // ---- reads: n > 0, Descriptor.EOF (-1) or 0 for an empty destination; park on EAGAIN

    /**
     * Reads into {@code dst} (from offset 0), parking until at least one byte or end of stream
     * arrives. One reading thread at a time.
     * @param dst where the bytes go; at most its size is read
     * @return bytes read, or {@link Descriptor#EOF} (-1); 0 only for an empty {@code dst}
     * @throws SocketTimeoutException past the read timeout
     * @throws SocketException if closed (before or during the read)
     * @throws NativeIOException ECONNRESET and other socket errors
     */
    public int read(MemorySegment dst) throws IOException {
        return read(dst, null, 0, (int) Math.min(dst.byteSize(), Integer.MAX_VALUE));
    }

    /**
     * The one read loop: into {@code dst}, or when {@code array} is not null, into
     * {@code array[offset, offset+length)} through staging ({@link #stagedRead}).
     */
    private int read(MemorySegment dst, byte[] array, int offset, int length) throws IOException {
        if (length == 0) return 0;
        long size = array == null ? dst.byteSize() : Math.min(length, IoScratch.STAGING_SIZE);
        long deadline = 0;
        for (;;) {
            ensureOpen();
            int seq = readSeq;
            if (empty && seq == emptyAt && !notOnlyData) {
                // No edge since a read found the socket empty: this read would meet EAGAIN, so
                // park at once (a later edge changes the sequence, so none is missed).
                empty = false;
            } else {
                int n;
                try {
                    n = array == null ? stream.read(dst) : stagedRead(array, offset, (int) size);
                } catch (IllegalStateException e) {
                    throw closedOr(e);
                }
                if (n != Descriptor.WOULD_BLOCK) {
                    // A short TCP read proves the receive queue empty of data, unless it stopped
                    // at an urgent mark; a FIN or an error may wait behind it. Both come with an
                    // event that sets notOnlyData. A Unix stream read also stops at passed
                    // descriptors and changes of writer, so it proves nothing.
                    empty = n > 0 && n < size && tcp;
                    emptyAt = seq;
                    return n;
                }
            }
            if (deadline == 0) deadline = deadline(readTimeoutNanos);
            await(true, seq, deadline, "read");
        }
    }

    /**
     * Reads into {@code dst[offset, offset+length)}, as {@link #read(MemorySegment)}.
     * @param dst the array the bytes go into
     * @param offset where in {@code dst} the first byte goes
     * @param length the most bytes to read
     * @return bytes read, or {@link Descriptor#EOF} (-1); 0 only if {@code length} is 0
     * @throws IOException as {@link #read(MemorySegment)}: timeout, closed, interrupted or a
     *         socket error
     * @throws IndexOutOfBoundsException if the range is outside {@code dst}
     */
    public int read(byte[] dst, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, dst.length);
        return read(null, dst, offset, length);
    }

    /*
     * Heap arrays are staged here, one pooled staging area per system call, taken and given
     * back around that call alone (never held while parked, so idle connections hold none).
     * Unlike wrapping the array in a heap segment for the socket's own staging, this allocates
     * nothing per call: the native slice passed down is scalar-replaced, and the copies take
     * the array itself.
     */

    /** One recv of at most {@code length} (at most the staging size) bytes into {@code dst[offset...]}. */
    private int stagedRead(byte[] dst, int offset, int length) throws NativeIOException {
        IoScratch io = IoScratch.take();
        try {
            int n = stream.read(io.staging.asSlice(0, length));
            if (n > 0) MemorySegment.copy(io.staging, ValueLayout.JAVA_BYTE, 0, dst, offset, n);
            return n;
        } finally {
            io.release();
        }
    }

    /** One send of at most {@code length} (at most the staging size) bytes from {@code src[offset...]}. */
    private int stagedWrite(byte[] src, int offset, int length) throws NativeIOException {
        IoScratch io = IoScratch.take();
        try {
            MemorySegment.copy(src, offset, io.staging, ValueLayout.JAVA_BYTE, 0, length);
            return stream.write(io.staging.asSlice(0, length));
        } finally {
            io.release();
        }
    }

    /**
     * Reads into {@code dst} between position and limit, advancing the position, as
     * {@link #read(MemorySegment)}.
     * @param dst the buffer the bytes go into, heap or direct
     * @return bytes read, or {@link Descriptor#EOF} (-1); 0 only if {@code dst} has no room
     * @throws IOException as {@link #read(MemorySegment)}: timeout, closed, interrupted or a
     *         socket error
     */
    public int read(ByteBuffer dst) throws IOException {
        int n = read(MemorySegment.ofBuffer(dst));
        if (n > 0) dst.position(dst.position() + n);
        return n;
    }

    // ---- writes: everything, parking while the socket buffer is full

    /**
     * Writes all of {@code src}, parking while the socket's send buffer is full. One writing
     * thread at a time.
     * @param src the bytes to send, all of them
     * @throws SocketException if closed (before or during the write); how much went is unknown
     * @throws InterruptedIOException if interrupted while parked; {@code bytesTransferred}
     *         says how much went
     * @throws NativeIOException EPIPE after the peer closed, ECONNRESET
     */
    public void write(MemorySegment src) throws IOException {
        write(src, null, 0, src.byteSize());
    }

    /**
     * The one write loop: all of {@code src}, or when {@code array} is not null, all of
     * {@code array[offset, offset+size)} through staging, a staging area at a time.
     */
    private void write(MemorySegment src, byte[] array, int offset, long size) throws IOException {
        long done = 0;
        while (done < size) {
            ensureOpen();
            int seq = writeSeq;
            int n;
            try {
                n = array != null ? stagedWrite(array, offset + (int) done, (int) Math.min(size - done, IoScratch.STAGING_SIZE))
                        : stream.write(done == 0 ? src : src.asSlice(done));
            } catch (IllegalStateException e) {
                throw closedOr(e);
            }
            if (n != Descriptor.WOULD_BLOCK) {
                done += n;
                continue;
            }
            try {
                await(false, seq, 0, "write");
            } catch (InterruptedIOException e) {
                e.bytesTransferred = (int) Math.min(done, Integer.MAX_VALUE);
                throw e;
            }
        }
    }

    /**
     * Writes all of {@code src[offset, offset+length)}, as {@link #write(MemorySegment)}.
     * @param src the array holding the bytes
     * @param offset where in {@code src} the first byte to send is
     * @param length how many bytes to send
     * @throws IOException as {@link #write(MemorySegment)}: closed, interrupted, EPIPE,
     *         ECONNRESET
     * @throws IndexOutOfBoundsException if the range is outside {@code src}
     */
    public void write(byte[] src, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, src.length);
        write(null, src, offset, length);
    }

    /**
     * Writes everything between {@code src}'s position and limit, then sets its position to the
     * limit, as {@link #write(MemorySegment)}.
     * @param src the buffer holding the bytes, heap or direct
     * @throws IOException as {@link #write(MemorySegment)}: closed, interrupted, EPIPE,
     *         ECONNRESET; the position is then left unchanged
     */
    public void write(ByteBuffer src) throws IOException {
        write(MemorySegment.ofBuffer(src));
        src.position(src.limit());
    }

    // ---- half-close

    /**
     * Half-closes the sending side: the peer reads end of stream after what was written.
     * Thread-safe.
     * @throws SocketException if this stream is closed
     * @throws NativeIOException if the kernel refuses ({@code ENOTCONN} before connecting)
     */
    public void shutdownOutput() throws IOException {
        ensureOpen();
        try {
            stream.shutdownOutput();
        } catch (IllegalStateException e) {
            throw closedOr(e);
        }
    }

    /**
     * Half-closes the receiving side: a blocked and every later read returns EOF. Thread-safe.
     * @throws SocketException if this stream is closed
     * @throws NativeIOException if the kernel refuses ({@code ENOTCONN} before connecting)
     */
    public void shutdownInput() throws IOException {
        ensureOpen();
        try {
            stream.shutdownInput();
        } catch (IllegalStateException e) {
            throw closedOr(e);
        }
    }

    // ---- streams

    /**
     * This stream as an {@link InputStream}: {@code read} blocks as {@link #read(MemorySegment)}
     * and returns -1 at end of stream; closing it closes the socket. The same object on every
     * call. Same threading as the reads.
     * @return the input view of this stream
     */
    public InputStream inputStream() {
        InputStream i = in;
        if (i == null) in = i = new Input();
        return i;
    }

    /**
     * This stream as an {@link OutputStream}: {@code write} blocks until all is queued in the
     * kernel; {@code flush} does nothing (nothing is buffered here); closing it closes the socket.
     * Same threading as the writes.
     * @return the output view of this stream
     */
    public OutputStream outputStream() {
        OutputStream o = out;
        if (o == null) out = o = new Output();
        return o;
    }

    private final class Input extends InputStream {
        private final byte[] one = new byte[1];

        @Override
        public int read() throws IOException {
            int n = BlockingStream.this.read(one, 0, 1);
            return n == Descriptor.EOF ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return BlockingStream.this.read(b, off, len);
        }

        @Override
        public void close() {
            BlockingStream.this.close();
        }
    }

    private final class Output extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            BlockingStream.this.write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            BlockingStream.this.write(b, off, len);
        }

        @Override
        public void close() {
            BlockingStream.this.close();
        }
    }

    static long nanos(Duration d, String what) {
        Objects.requireNonNull(d, what);
        if (d.isNegative()) throw new IllegalArgumentException("negative " + what + ": " + d);
        try {
            return d.toNanos();
        } catch (ArithmeticException tooLong) {
            return 0;   // beyond 292 years: no limit
        }
    }
}
