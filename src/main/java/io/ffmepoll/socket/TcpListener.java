package io.ffmepoll.socket;

import io.ffmepoll.epoll.NativeIOException;

import java.net.InetSocketAddress;

/**
 * A non-blocking TCP listening socket over IPv4, IPv6, or both.
 * <p>{@code SO_REUSEADDR} is set before binding (so a restarted server can bind a port with
 * connections in TIME_WAIT); pass {@code Option.SO_REUSEADDR.of(false)} to undo it. Other
 * options given to {@link #bind(InetSocketAddress, int, Option.Value[])} are set after it and
 * before {@code bind(2)}.
 * <p>Dual stack: bind the IPv6 wildcard {@code new InetSocketAddress("::", port)}; IPv4 clients
 * then arrive as IPv4 addresses unless {@code Option.IPV6_V6ONLY.of(true)} is given (without
 * it the system default {@code net.ipv6.bindv6only}, normally 0, applies).
 * {@snippet :
 * try (TcpListener listener = TcpListener.bind(new InetSocketAddress("127.0.0.1", 0), 1024)) {
 *     int port = listener.localAddress().getPort();     // the port the kernel chose
 *     TcpStream s = listener.accept();                  // null until a client connects
 * }
 * }
 */
public final class TcpListener extends StreamListener {

    TcpListener(int fd, int family) {
        super(fd, family);
    }

    /**
     * Opens, configures, binds and listens.
     * @param local a resolved address; port 0 lets the kernel choose (see {@link #localAddress()})
     * @param backlog the accept queue length (the kernel caps it at {@code net.core.somaxconn})
     * @param options set before binding, after {@code SO_REUSEADDR}
     * @return the listening socket, ready for {@link #accept()}
     * @throws NativeIOException EADDRINUSE, EACCES, or an option the kernel refuses
     */
    public static TcpListener bind(InetSocketAddress local, int backlog, Option.Value<?>... options)
            throws NativeIOException {
        int family = AddressCodec.family(local);
        return setUp(new TcpListener(open(family, SOCK_STREAM), family), l -> {
            l.setOption(Option.SO_REUSEADDR, true);
            l.apply(options);
            l.bindAndListen(local, backlog);
        });
    }

    /**
     * As {@link #bind(InetSocketAddress, int, Option.Value[])}, with {@code SO_REUSEPORT} on or
     * off: several listeners (one per event loop) may then bind the same address, and the
     * kernel spreads incoming connections among them.
     * @param local a resolved address; port 0 lets the kernel choose
     * @param backlog the accept queue length
     * @param reusePort whether to set {@code SO_REUSEPORT}
     * @return the listening socket
     * @throws NativeIOException EADDRINUSE (another listener without {@code SO_REUSEPORT}), EACCES
     */
    public static TcpListener bind(InetSocketAddress local, int backlog, boolean reusePort) throws NativeIOException {
        return bind(local, backlog, Option.SO_REUSEPORT.of(reusePort));
    }

    /**
     * Accepts one pending connection ({@code accept4} with {@code SOCK_NONBLOCK | SOCK_CLOEXEC}).
     * @return the connection, or null when none is pending
     * @throws NativeIOException EMFILE, ENFILE, ECONNABORTED...
     */
    @Override
    public TcpStream accept() throws NativeIOException {
        int fd = acceptFd();
        return fd < 0 ? null : accepted(new TcpStream(fd, family, true));
    }

    /** The bound address, with the real port. */
    @Override
    public InetSocketAddress localAddress() throws NativeIOException {
        return (InetSocketAddress) super.localAddress();
    }
}
