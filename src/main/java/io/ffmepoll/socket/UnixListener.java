package io.ffmepoll.socket;

import io.ffmepoll.epoll.NativeIOException;

import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;

/**
 * A non-blocking Unix domain listening socket, bound to a filesystem path or an
 * {@link AbstractName}.
 * <h2>Socket files</h2>
 * Binding a {@link UnixDomainSocketAddress} creates a socket file at that path; binding fails
 * with {@code EADDRINUSE} if anything exists there already (a stale file from a crashed process
 * included: remove it first if that is what you want). <b>Closing the listener removes the file</b>,
 * provided it is still the file this listener created: a file another server has put there since
 * is left alone. An {@link AbstractName} creates no file at all and vanishes with the socket.
 * {@snippet :
 * Path path = Path.of("/tmp/echo.sock");
 * try (UnixListener listener = UnixListener.bind(UnixDomainSocketAddress.of(path), 128)) {
 *     UnixStream s = listener.accept();    // null until a client connects
 * }                                        // path is gone here
 * }
 */
public final class UnixListener extends StreamListener {

    private volatile BoundPath bound;

    UnixListener(int fd) {
        super(fd, AddressCodec.AF_UNIX);
    }

    /**
     * Opens, binds and listens.
     * @param local a {@link UnixDomainSocketAddress} (a file is created) or an {@link AbstractName}
     * @param backlog the accept queue length
     * @param options set before binding
     * @return the listening socket; a path it created is removed on close
     * @throws NativeIOException EADDRINUSE if the path or name is taken, ENOENT/EACCES for the path
     * @throws IllegalArgumentException for another address type or a path over 107 bytes
     */
    public static UnixListener bind(SocketAddress local, int backlog, Option.Value<?>... options)
            throws NativeIOException {
        if (AddressCodec.family(local) != AddressCodec.AF_UNIX) {
            throw new IllegalArgumentException("not a Unix domain address: " + local);
        }
        return setUp(new UnixListener(open(AddressCodec.AF_UNIX, SOCK_STREAM)), l -> {
            l.apply(options);
            l.bindTo(local);
            l.bound = BoundPath.after(local);
            l.listenOnly(backlog);
        });
    }

    /**
     * Accepts one pending connection ({@code accept4} with {@code SOCK_NONBLOCK | SOCK_CLOEXEC}).
     * @return the connection, or null when none is pending
     */
    @Override
    public UnixStream accept() throws NativeIOException {
        int fd = acceptFd();
        return fd < 0 ? null : accepted(new UnixStream(fd, true));
    }

    /** The bound path or abstract name. */
    @Override
    public SocketAddress localAddress() throws NativeIOException {
        return super.localAddress();
    }

    /** Removes the socket file this listener created, if it is still there. */
    @Override
    protected void afterClose() {
        BoundPath b = bound;
        if (b != null) b.unlink();
    }
}
