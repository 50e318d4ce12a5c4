package io.ffmepoll.socket;

import io.ffmepoll.epoll.Descriptor;
import io.ffmepoll.epoll.Errors;
import io.ffmepoll.epoll.NativeIOException;
import io.ffmepoll.internal.sys.Sys;

import java.lang.foreign.MemorySegment;

/**
 * A descriptor received from another process or socket ({@code SCM_RIGHTS}), owned here like
 * any other: close it exactly once.
 * <p>It arrives close-on-exec ({@code MSG_CMSG_CLOEXEC}). Its other status flags, non-blocking
 * included, belong to the open file it refers to, which is shared with the sender: a descriptor
 * the sender had in blocking mode blocks here too.
 * {@snippet :
 * List<ReceivedDescriptor> fds = new ArrayList<>();
 * int n = stream.receiveDescriptors(buffer, fds);
 * for (ReceivedDescriptor fd : fds) {
 *     try (fd) {
 *         fd.write(reply);
 *     }
 * }
 * }
 */
public final class ReceivedDescriptor extends Descriptor {

    ReceivedDescriptor(int fd) {
        super(fd);
    }

    /**
     * Reads into {@code dst} ({@code read(2)}).
     * @return bytes read, {@link #EOF}, or {@link #WOULD_BLOCK}
     */
    public int read(MemorySegment dst) throws NativeIOException {
        if (!dst.isNative()) throw new IllegalArgumentException("a native segment is required");
        SocketDescriptor.writable(dst);
        int fd = acquire();
        long want = Math.min(dst.byteSize(), Integer.MAX_VALUE);
        try {
            long r = Errors.io("read", Sys.read(fd, dst, want));
            return r == 0 && want > 0 ? EOF : (int) r;
        } finally {
            release();
        }
    }

    /**
     * Writes from {@code src} ({@code write(2)}).
     * @return bytes written or {@link #WOULD_BLOCK}
     */
    public int write(MemorySegment src) throws NativeIOException {
        if (!src.isNative()) throw new IllegalArgumentException("a native segment is required");
        int fd = acquire();
        try {
            return (int) Errors.io("write", Sys.write(fd, src, Math.min(src.byteSize(), Integer.MAX_VALUE)));
        } finally {
            release();
        }
    }
}
