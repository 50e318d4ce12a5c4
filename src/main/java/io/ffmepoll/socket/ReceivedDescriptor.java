package io.ffmepoll.socket;

import io.ffmepoll.epoll.Descriptor;
import io.ffmepoll.epoll.NativeIOException;

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

    /** A received socket may have SO_LINGER on: its close then goes to a closer thread. */
    @Override
    protected boolean closeMayBlock(int fd) {
        return SocketDescriptor.lingers(fd);
    }

    /**
     * Reads into {@code dst} ({@code read(2)}); heap memory is staged as for sockets.
     * @param dst where the bytes go
     * @return bytes read, {@link #EOF}, or {@link #WOULD_BLOCK}
     * @throws IllegalArgumentException if {@code dst} is read-only
     * @throws NativeIOException any error but {@code EAGAIN}
     */
    public int read(MemorySegment dst) throws NativeIOException {
        return readBytes(dst, Transfer.FILE);
    }

    /**
     * Writes from {@code src} ({@code write(2)}); heap memory is staged as for sockets.
     * @param src the bytes to write
     * @return bytes written or {@link #WOULD_BLOCK}
     * @throws NativeIOException any error but {@code EAGAIN}, such as {@code EPIPE}
     */
    public int write(MemorySegment src) throws NativeIOException {
        return writeBytes(src, Transfer.FILE);
    }
}
