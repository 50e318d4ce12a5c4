package io.ffmepoll.socket;

import io.ffmepoll.epoll.Errors;
import io.ffmepoll.epoll.NativeIOException;
import io.ffmepoll.internal.gen.Linux;
import io.ffmepoll.internal.sys.Sys;

import java.lang.foreign.MemorySegment;

/**
 * A listening stream socket: {@link TcpListener} or {@link UnixListener}.
 * <p>{@link #accept()} uses {@code accept4(SOCK_NONBLOCK | SOCK_CLOEXEC)}, so an accepted socket
 * is non-blocking and close-on-exec from its first instant (no window for a fork to inherit it).
 * {@snippet :
 * // Edge-triggered: accept until null, then wait for the next EPOLLIN.
 * StreamSocket s;
 * while ((s = listener.accept()) != null) {
 *     epoll.add(s, Interest.of(Interest.IN, Interest.OUT, Interest.RDHUP, Interest.ET), nextToken++);
 * }
 * }
 */
public abstract sealed class StreamListener extends SocketDescriptor permits TcpListener, UnixListener {

    private static final int ACCEPT_FLAGS = Linux.SOCK_NONBLOCK() | Linux.SOCK_CLOEXEC();

    /**
     * A backlog that asks for the longest accept queue the kernel allows: {@code listen(2)}
     * silently truncates a larger value to {@code net.core.somaxconn} (4096 since Linux 5.4).
     * A connection that finds the queue full has its SYN dropped and connects only after a
     * retransmit a second or more later, so a server should not ask for less than the kernel
     * grants unless it means to shed load.
     */
    public static final int MAX_BACKLOG = Integer.MAX_VALUE;

    StreamListener(int fd, int family) {
        super(fd, family);
    }

    /**
     * Accepts one pending connection.
     * @return the connected socket, or null when none is pending ({@code EAGAIN})
     * @throws NativeIOException EMFILE/ENFILE when out of descriptors (the connection stays
     *         queued), ECONNABORTED when a queued connection was reset before being accepted
     * @throws IllegalStateException if closed
     */
    public abstract StreamSocket accept() throws NativeIOException;

    /** accept4: the new fd, -1 for EAGAIN; throws otherwise. */
    final int acceptFd() throws NativeIOException {
        int fd = acquire();
        int r;
        try {
            r = Sys.accept4(fd, MemorySegment.NULL, MemorySegment.NULL, ACCEPT_FLAGS);
        } finally {
            release();
        }
        if (r >= 0) return r;
        if (r == -Errors.EAGAIN) return -1;
        throw Errors.exception("accept4", r);
    }

    /** An accepted socket inherits the listener's SO_LINGER (Linux copies it): so does our flag. */
    final <S extends StreamSocket> S accepted(S socket) {
        socket.mayLinger = mayLinger;
        return socket;
    }

    /** bind(2) then listen(2); the caller closes the socket if this throws. */
    final void bindAndListen(java.net.SocketAddress local, int backlog) throws NativeIOException {
        if (backlog < 0) throw new IllegalArgumentException("negative backlog: " + backlog);
        bindTo(local);
        listenOnly(backlog);
    }

    /** listen(2). */
    final void listenOnly(int backlog) throws NativeIOException {
        if (backlog < 0) throw new IllegalArgumentException("negative backlog: " + backlog);
        int fd = acquire();
        int r;
        try {
            r = Sys.listen(fd, backlog);
        } finally {
            release();
        }
        Errors.check("listen", r);
    }
}
