package io.ffmepoll.socket;

import io.ffmepoll.epoll.Errors;
import io.ffmepoll.epoll.NativeIOException;
import io.ffmepoll.internal.gen.Linux;
import io.ffmepoll.internal.sys.NativeScratch;
import io.ffmepoll.internal.sys.Sys;

import java.lang.foreign.MemorySegment;
import java.net.SocketAddress;
import java.nio.ByteBuffer;

/**
 * A connected (or connecting) non-blocking stream socket: {@link TcpStream} or {@link UnixStream}.
 * <p>Reads return the byte count, {@link #EOF} once the peer has shut down its output and
 * everything before it was read, or {@link #WOULD_BLOCK} when nothing is buffered ({@code EAGAIN}
 * is never an exception). Writes return the count actually queued (possibly fewer than offered)
 * or {@code WOULD_BLOCK}. Writes use {@code MSG_NOSIGNAL}: writing to a closed peer throws
 * {@link NativeIOException} {@code EPIPE} instead of raising {@code SIGPIPE}. A reset connection
 * throws {@code ECONNRESET}.
 * <p>Native {@link MemorySegment}s and direct {@link ByteBuffer}s go straight to the kernel;
 * heap arrays and buffers are copied through native staging memory. Either way a short count
 * means the kernel had no more room or data at that moment.
 * <p>Every segment is checked as a downcall checks its arguments: one whose arena is closed
 * throws {@link IllegalStateException}, one confined to another thread throws
 * {@link WrongThreadException}, the vectored calls included. In a vectored call a part goes to
 * the kernel by address only when nothing can free it before the call returns (confined to the
 * calling thread, or global); parts of shared or automatic arenas and direct buffers are copied
 * through staging, since another thread could close a shared arena in mid-call. A close that
 * races such a copy makes the call throw {@link IllegalStateException}; on JDK 23 and later the
 * JVM also sets the calling thread's interrupt status when it stops the copy that way.
 * {@snippet :
 * // Edge-triggered: drain until WOULD_BLOCK, then wait for the next edge.
 * for (;;) {
 *     int n = stream.read(buffer);
 *     if (n == Descriptor.WOULD_BLOCK) break;       // wait for EPOLLIN
 *     if (n == Descriptor.EOF) { stream.close(); break; }
 *     consume(buffer.asSlice(0, n));
 * }
 * }
 */
public abstract sealed class StreamSocket extends SocketDescriptor permits TcpStream, UnixStream {

    private static final int SHUT_RD = Linux.SHUT_RD();
    private static final int SHUT_WR = Linux.SHUT_WR();

    private volatile boolean connected;
    /** The errno of a failed connect, kept so every later finishConnect reports it. */
    private int connectErrno;
    /** A Unix connect that met a full backlog (EAGAIN): finishConnect retries it. */
    private SocketAddress retryTarget;

    StreamSocket(int fd, int family, boolean connected) {
        super(fd, family);
        this.connected = connected;
    }

    /** Starts connect(2); EINPROGRESS (TCP) and EAGAIN (Unix, full backlog) leave it pending. */
    final void startConnect(SocketAddress remote) throws NativeIOException {
        int r = connectTo(remote);
        if (r == 0) {
            connected = true;
        } else if (r == -Errors.EAGAIN && family == AddressCodec.AF_UNIX) {
            // A Unix stream connect does not queue: EAGAIN means the listener's backlog is full,
            // and the only way on is to try again (finishConnect does).
            retryTarget = remote;
        } else if (r != -Errors.EINPROGRESS) {
            throw Errors.exception("connect", r);
        }
    }

    /**
     * Completes a non-blocking connect: call it when the socket reports writable
     * ({@code EPOLLOUT}; a failure also reports {@code EPOLLERR}).
     * <p>The outcome is read from {@code SO_ERROR}; if that holds no error, {@code getpeername}
     * tells an established connection from one still in progress.
     * @return true once connected (and on every later call), false while still in progress
     * @throws NativeIOException the connect's failure, as ECONNREFUSED, ETIMEDOUT or
     *         EHOSTUNREACH, with call {@code "connect"}; thrown again on every later call
     * @throws IllegalStateException if closed
     */
    public boolean finishConnect() throws NativeIOException {
        if (!isOpen()) throw closed();
        if (connected) return true;
        if (connectErrno != 0) throw Errors.exception("connect", -connectErrno);
        if (retryTarget != null) {
            int r = connectTo(retryTarget);
            if (r == -Errors.EAGAIN) return false;
            retryTarget = null;
            if (r != 0 && r != -Errors.EISCONN) {
                connectErrno = -r;
                throw Errors.exception("connect", r);
            }
            connected = true;
            return true;
        }
        int error = takeError();
        if (error != 0) {
            connectErrno = error;
            throw Errors.exception("connect", -error);
        }
        NativeScratch s = NativeScratch.current();
        s.setInt(NativeScratch.ADDRESS_LENGTH, AddressCodec.STORAGE_SIZE);
        int fd = acquire();
        int r;
        try {
            r = Sys.getpeername(fd, s.address,
                    s.addressLength);
        } finally {
            release();
        }
        if (r == 0) {
            connected = true;
            return true;
        }
        if (r == -Errors.ENOTCONN) return false;
        throw Errors.exception("getpeername", r);
    }

    /**
     * Whether the connection is established (as last observed by {@link #finishConnect()}).
     * @return whether {@link #finishConnect()} has seen the connection complete (or it was accepted)
     */
    public boolean isConnected() {
        return connected;
    }

    /**
     * The peer's address ({@code getpeername}).
     * @return the remote address
     * @throws NativeIOException ENOTCONN if not connected
     */
    public SocketAddress peerAddress() throws NativeIOException {
        return name(true);
    }

    // ---- reads

    /**
     * Reads into {@code dst} (from offset 0, up to its size).
     * @param dst where the bytes go
     * @return bytes read, {@link #EOF}, or {@link #WOULD_BLOCK}; 0 only when {@code dst} is empty
     * @throws NativeIOException ECONNRESET and other socket errors
     * @throws IllegalStateException if closed
     */
    public int read(MemorySegment dst) throws NativeIOException {
        return readBytes(dst, Transfer.STREAM_SOCKET);
    }

    /**
     * Reads into {@code dst} between its position and limit, advancing the position.
     * @param dst the buffer to fill
     * @return as {@link #read(MemorySegment)}
     * @throws NativeIOException as {@link #read(MemorySegment)}
     */
    public int read(ByteBuffer dst) throws NativeIOException {
        return readBytes(dst, Transfer.STREAM_SOCKET);
    }

    /**
     * Reads into {@code dst[offset, offset+length)}.
     * @param dst the array to fill
     * @param offset where in {@code dst} the bytes go
     * @param length at most this many bytes
     * @return as {@link #read(MemorySegment)}
     * @throws NativeIOException as {@link #read(MemorySegment)}
     */
    public int read(byte[] dst, int offset, int length) throws NativeIOException {
        return readBytes(dst, offset, length, Transfer.STREAM_SOCKET);
    }

    /**
     * Reads into {@code dst} from its start, as {@code read(dst, 0, dst.length)}.
     * @param dst the array to fill
     * @return as {@link #read(MemorySegment)}
     * @throws NativeIOException as {@link #read(MemorySegment)}
     */
    public int read(byte[] dst) throws NativeIOException {
        return read(dst, 0, dst.length);
    }

    /**
     * Scattering read ({@code readv}) into {@code dsts[offset, offset+length)}, filled in order.
     * @param dsts the segments to fill
     * @param offset the first segment to use
     * @param length how many segments to use
     * @return total bytes read, {@link #EOF}, or {@link #WOULD_BLOCK}
     * @throws NativeIOException as {@link #read(MemorySegment)}
     */
    public long read(MemorySegment[] dsts, int offset, int length) throws NativeIOException {
        return readVector(dsts, offset, length, true);
    }

    /**
     * Scattering read into buffers, advancing their positions.
     * @param dsts the buffers to fill
     * @param offset the first buffer to use
     * @param length how many buffers to use
     * @return as {@link #read(MemorySegment[], int, int)}
     * @throws NativeIOException as {@link #read(MemorySegment)}
     */
    public long read(ByteBuffer[] dsts, int offset, int length) throws NativeIOException {
        long n = readVector(dsts, offset, length, true);
        if (n > 0) advance(dsts, offset, length, n);
        return n;
    }

    // ---- writes

    /**
     * Writes from {@code src} (all of it, from offset 0), with {@code MSG_NOSIGNAL}.
     * @param src the bytes to write
     * @return bytes queued (possibly fewer than {@code src.byteSize()}) or {@link #WOULD_BLOCK}
     * @throws NativeIOException EPIPE after the peer closed, ECONNRESET
     * @throws IllegalStateException if closed
     */
    public int write(MemorySegment src) throws NativeIOException {
        return send(src, true);
    }

    /**
     * Writes the bytes between {@code src}'s position and limit, advancing the position.
     * @param src the buffer to write from
     * @return as {@link #write(MemorySegment)}
     * @throws NativeIOException as {@link #write(MemorySegment)}
     */
    public int write(ByteBuffer src) throws NativeIOException {
        return writeBytes(src, Transfer.STREAM_SOCKET);
    }

    /**
     * Writes {@code src[offset, offset+length)}.
     * @param src the array to write from
     * @param offset the first byte to write
     * @param length how many bytes to write
     * @return as {@link #write(MemorySegment)}
     * @throws NativeIOException as {@link #write(MemorySegment)}
     */
    public int write(byte[] src, int offset, int length) throws NativeIOException {
        return writeBytes(src, offset, length, Transfer.STREAM_SOCKET);
    }

    /**
     * Writes the whole of {@code src}, as {@code write(src, 0, src.length)}.
     * @param src the bytes to write
     * @return as {@link #write(MemorySegment)}: possibly fewer than {@code src.length}
     * @throws NativeIOException as {@link #write(MemorySegment)}
     */
    public int write(byte[] src) throws NativeIOException {
        return write(src, 0, src.length);
    }

    /**
     * Gathering write of {@code srcs[offset, offset+length)} in one system call
     * ({@code sendmsg} with {@code MSG_NOSIGNAL}, the writev of sockets). At most
     * 1024 segments ({@code UIO_MAXIOV}) go per call; the iovec array is the thread's, reused, not
     * allocated.
     * @param srcs the segments to write
     * @param offset the first segment to write
     * @param length how many segments to write
     * @return total bytes queued (possibly fewer than offered) or {@link #WOULD_BLOCK}
     * @throws NativeIOException as {@link #write(MemorySegment)}
     */
    public long write(MemorySegment[] srcs, int offset, int length) throws NativeIOException {
        return writeVector(srcs, offset, length);
    }

    /**
     * Gathering write of byte ranges in one system call, as {@link #write(MemorySegment[], int, int)}:
     * {@code lengths[i]} bytes of {@code srcs[i]} from offset {@code starts[i]}, for each
     * {@code i < count}. A writer that sends parts of larger (pooled) buffers makes no slice per
     * part. Thread-safety as every write: callable from any thread that may access the segments.
     * {@snippet :
     * long n = stream.write(new MemorySegment[] {header, body}, new long[] {0, 0},
     *         new long[] {headerLength, body.byteSize()}, 2);
     * }
     * @param srcs the segments to send from
     * @param starts where each range starts in its segment
     * @param lengths how many bytes of each segment to send
     * @param count how many ranges (the first {@code count} elements of each array)
     * @return total bytes queued (possibly fewer than offered) or {@link #WOULD_BLOCK}
     * @throws IndexOutOfBoundsException if a range lies outside its segment or {@code count}
     *         exceeds an array
     * @throws NativeIOException if the kernel refuses the write (EPIPE, ECONNRESET...)
     */
    public long write(MemorySegment[] srcs, long[] starts, long[] lengths, int count) throws NativeIOException {
        return writeVector(srcs, starts, lengths, count);
    }

    /**
     * Gathering write from buffers, advancing their positions by what was queued.
     * @param srcs the buffers to write
     * @param offset the first buffer to write
     * @param length how many buffers to write
     * @return as {@link #write(MemorySegment[], int, int)}
     * @throws NativeIOException as {@link #write(MemorySegment)}
     */
    public long write(ByteBuffer[] srcs, int offset, int length) throws NativeIOException {
        long n = writeVector(srcs, offset, length);
        if (n > 0) advance(srcs, offset, length, n);
        return n;
    }

    // ---- half-close

    /**
     * Half-closes the sending direction ({@code shutdown(SHUT_WR)}): the peer reads
     * {@link #EOF} after the data already queued, and can still send to us.
     * @throws NativeIOException ENOTCONN if not connected
     */
    public void shutdownOutput() throws NativeIOException {
        shutdown(SHUT_WR, "shutdown(SHUT_WR)");
    }

    /**
     * Half-closes the receiving direction ({@code shutdown(SHUT_RD)}): reads then return {@link #EOF}.
     * @throws NativeIOException ENOTCONN if not connected
     */
    public void shutdownInput() throws NativeIOException {
        shutdown(SHUT_RD, "shutdown(SHUT_RD)");
    }
}
