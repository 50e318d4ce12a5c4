package io.ffmepoll.epoll;

import io.ffmepoll.internal.gen.Linux;
import io.ffmepoll.internal.sys.NativeAccess;
import io.ffmepoll.internal.sys.NativeScratch;
import io.ffmepoll.internal.sys.Sys;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * A non-blocking, close-on-exec pipe ({@code pipe2(O_NONBLOCK | O_CLOEXEC)}).
 * {@snippet :
 * try (Pipe pipe = Pipe.open(); Arena arena = Arena.ofConfined()) {
 *     MemorySegment buf = arena.allocate(64);
 *     pipe.sink().write(buf.asSlice(0, 5));
 *     int n = pipe.source().read(buf);   // 5, or Descriptor.WOULD_BLOCK, or Descriptor.EOF
 * }
 * }
 */
public final class Pipe implements AutoCloseable {

    static {
        NativeAccess.check();   // before anything reaches the bindings: a denial names its flag
    }

    private final End source;
    private final End sink;

    private Pipe(End source, End sink) {
        this.source = source;
        this.sink = sink;
    }

    /**
     * Opens a pipe.
     * @return a new pipe whose two ends are non-blocking and close-on-exec, each closed on its own
     * @throws NativeIOException EMFILE or ENFILE when out of descriptors
     */
    public static Pipe open() throws NativeIOException {
        Errors.check("pipe2", Sys.pipe2(Linux.O_NONBLOCK() | Linux.O_CLOEXEC()));
        NativeScratch s = NativeScratch.current();
        return new Pipe(new End(s.getInt(NativeScratch.INTS)), new End(s.getInt(NativeScratch.INTS + 4)));
    }

    /**
     * The read end.
     * @return the end to read from
     */
    public End source() {
        return source;
    }

    /**
     * The write end.
     * @return the end to write to
     */
    public End sink() {
        return sink;
    }

    /** Closes both ends. */
    @Override
    public void close() {
        source.close();
        sink.close();
    }

    /**
     * One end of a pipe. Reads and writes behave as a stream socket's (the same implementation):
     * native memory goes to the kernel directly, heap arrays and buffers are copied through
     * native staging, a read-only destination is refused.
     * <p>I/O on one end is meant for one thread at a time; {@link #close()} may come from any
     * thread.
     */
    public static final class End extends Descriptor {

        /** Takes ownership of {@code fd}; package-private, so only this package makes ends. */
        End(int fd) {
            super(fd);
        }

        /**
         * Reads into {@code dst} (from offset 0, up to its size).
         * @param dst where the bytes go
         * @return bytes read, {@link #EOF} when the write end is closed and the pipe empty, or
         *         {@link #WOULD_BLOCK}
         * @throws IllegalArgumentException if {@code dst} is read-only
         * @throws IllegalStateException if this end is closed
         * @throws NativeIOException any error but {@code EAGAIN}
         */
        public int read(MemorySegment dst) throws NativeIOException {
            return readBytes(dst, Transfer.FILE);
        }

        /**
         * Reads into {@code dst} between its position and limit, advancing the position.
         * @param dst the buffer to fill
         * @return as {@link #read(MemorySegment)}
         * @throws NativeIOException any error but {@code EAGAIN}
         */
        public int read(ByteBuffer dst) throws NativeIOException {
            return readBytes(dst, Transfer.FILE);
        }

        /**
         * Reads into {@code dst[offset, offset+length)}.
         * @param dst the array to fill
         * @param offset where in {@code dst} the bytes go
         * @param length at most this many bytes
         * @return as {@link #read(MemorySegment)}
         * @throws NativeIOException any error but {@code EAGAIN}
         */
        public int read(byte[] dst, int offset, int length) throws NativeIOException {
            return readBytes(dst, offset, length, Transfer.FILE);
        }

        /**
         * Reads into {@code dst} from its start, as {@code read(dst, 0, dst.length)}.
         * @param dst the array to fill
         * @return as {@link #read(MemorySegment)}
         * @throws NativeIOException any error but {@code EAGAIN}
         */
        public int read(byte[] dst) throws NativeIOException {
            return read(dst, 0, dst.length);
        }

        /**
         * Writes from {@code src} (all of it, from offset 0).
         * @param src the bytes to write
         * @return bytes written (possibly fewer than asked), or {@link #WOULD_BLOCK}
         * @throws NativeIOException EPIPE when the read end is closed
         * @throws IllegalStateException if this end is closed
         */
        public int write(MemorySegment src) throws NativeIOException {
            return writeBytes(src, Transfer.FILE);
        }

        /**
         * Writes the bytes between {@code src}'s position and limit, advancing the position.
         * @param src the buffer to write from
         * @return as {@link #write(MemorySegment)}
         * @throws NativeIOException EPIPE when the read end is closed
         */
        public int write(ByteBuffer src) throws NativeIOException {
            return writeBytes(src, Transfer.FILE);
        }

        /**
         * Writes {@code src[offset, offset+length)}.
         * @param src the array to write from
         * @param offset the first byte to write
         * @param length how many bytes to write
         * @return as {@link #write(MemorySegment)}
         * @throws NativeIOException EPIPE when the read end is closed
         */
        public int write(byte[] src, int offset, int length) throws NativeIOException {
            return writeBytes(src, offset, length, Transfer.FILE);
        }

        /**
         * Writes the whole of {@code src}, as {@code write(src, 0, src.length)}.
         * @param src the bytes to write
         * @return as {@link #write(MemorySegment)}
         * @throws NativeIOException EPIPE when the read end is closed
         */
        public int write(byte[] src) throws NativeIOException {
            return write(src, 0, src.length);
        }
    }
}
