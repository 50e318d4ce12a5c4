package io.ffmepoll.epoll;

import io.ffmepoll.internal.gen.Linux;
import io.ffmepoll.internal.sys.NativeScratch;
import io.ffmepoll.internal.sys.Sys;

import java.lang.foreign.MemorySegment;

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

    private final End source;
    private final End sink;

    private Pipe(End source, End sink) {
        this.source = source;
        this.sink = sink;
    }

    /** Opens a pipe. */
    public static Pipe open() throws NativeIOException {
        Errors.check("pipe2", Sys.pipe2(Linux.O_NONBLOCK() | Linux.O_CLOEXEC()));
        NativeScratch s = NativeScratch.current();
        return new Pipe(new End(s.getInt(NativeScratch.INTS)), new End(s.getInt(NativeScratch.INTS + 4)));
    }

    /** The read end. */
    public End source() {
        return source;
    }

    /** The write end. */
    public End sink() {
        return sink;
    }

    /** Closes both ends. */
    @Override
    public void close() {
        source.close();
        sink.close();
    }

    /** One end of a pipe. */
    public static final class End extends Descriptor {

        private End(int fd) {
            super(fd);
        }

        /**
         * Reads into {@code dst}.
         * @return bytes read, {@link #EOF} when the write end is closed and the pipe empty, or
         *         {@link #WOULD_BLOCK}
         */
        public int read(MemorySegment dst) throws NativeIOException {
            int fd = acquire();
            try {
                long r = Errors.io("read", Sys.read(fd, dst, Math.min(dst.byteSize(), Integer.MAX_VALUE)));
                return r == 0 && dst.byteSize() > 0 ? EOF : (int) r;
            } finally {
                release();
            }
        }

        /**
         * Writes from {@code src}.
         * @return bytes written (possibly fewer than asked), or {@link #WOULD_BLOCK}
         * @throws NativeIOException EPIPE when the read end is closed
         */
        public int write(MemorySegment src) throws NativeIOException {
            int fd = acquire();
            try {
                return (int) Errors.io("write", Sys.write(fd, src, Math.min(src.byteSize(), Integer.MAX_VALUE)));
            } finally {
                release();
            }
        }
    }
}
