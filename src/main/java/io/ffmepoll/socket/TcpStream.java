package io.ffmepoll.socket;

import io.ffmepoll.epoll.NativeIOException;
import io.ffmepoll.internal.gen.Linux;
import io.ffmepoll.internal.gen.tcp_info;
import io.ffmepoll.internal.sys.IoScratch;

import java.net.InetSocketAddress;

/**
 * A non-blocking TCP connection over IPv4 or IPv6.
 * <p>{@link #connect} starts a non-blocking connect and returns at once; the connection is
 * usable when {@link #finishConnect()} returns true, which it does after the socket reports
 * writable. A refused or failed connect surfaces there as a {@link NativeIOException}
 * ({@code ECONNREFUSED}, {@code ETIMEDOUT}...).
 * {@snippet :
 * TcpStream s = TcpStream.connect(new InetSocketAddress("127.0.0.1", port),
 *         Option.TCP_NODELAY.of(true));
 * epoll.add(s, Interest.of(Interest.OUT, Interest.ET), 1);
 * // ... when the event for token 1 arrives:
 * if (s.finishConnect()) {
 *     s.write(request);          // n, or Descriptor.WOULD_BLOCK
 * }
 * }
 */
public final class TcpStream extends StreamSocket {

    TcpStream(int fd, int family, boolean connected) {
        super(fd, family, connected);
    }

    /**
     * Opens a socket of {@code remote}'s family, applies {@code options} (before connecting, where
     * buffer sizes must be set to affect the window), and starts connecting.
     * @param remote a resolved IPv4 or IPv6 address
     * @param options set before connecting, in order
     * @return the socket, connected or connecting (see {@link #finishConnect()})
     * @throws NativeIOException if the socket cannot be created, an option is refused, or the
     *         connect fails at once (ENETUNREACH...)
     * @throws IllegalArgumentException if {@code remote} is unresolved
     */
    public static TcpStream connect(InetSocketAddress remote, Option.Value<?>... options) throws NativeIOException {
        int family = AddressCodec.family(remote);
        return setUp(new TcpStream(open(family, SOCK_STREAM), family, false), s -> {
            s.apply(options);
            s.startConnect(remote);
        });
    }

    /**
     * As {@link #connect(InetSocketAddress, Option.Value[])}, from {@code local}: the options are
     * applied, then the socket is bound to {@code local} (port 0: an ephemeral port on that
     * address), then it starts connecting. Nothing stays open if a step fails. Any thread.
     * {@snippet :
     * TcpStream s = TcpStream.connect(new InetSocketAddress("127.0.0.1", port),
     *         new InetSocketAddress("127.0.0.2", 0), Option.SO_RCVBUF.of(1 << 20));
     * }
     * @param remote the address to connect to
     * @param local a resolved address of {@code remote}'s family, or null to let connect choose
     * @param options socket options set before the bind
     * @return the socket, connected or connecting (see {@link #finishConnect()})
     * @throws NativeIOException EADDRINUSE, EADDRNOTAVAIL from the bind; as the other overload
     */
    public static TcpStream connect(InetSocketAddress remote, InetSocketAddress local, Option.Value<?>... options)
            throws NativeIOException {
        if (local == null) return connect(remote, options);
        int family = AddressCodec.family(remote);
        if (AddressCodec.family(local) != family) {
            throw new IllegalArgumentException("local address " + local + " is not of the family of " + remote);
        }
        return setUp(new TcpStream(open(family, SOCK_STREAM), family, false), s -> {
            s.apply(options);
            s.bindTo(local);
            s.startConnect(remote);
        });
    }

    /**
     * Reads the connection's {@code TCP_INFO}: state, round-trip time, congestion window,
     * retransmissions. Allocates only the returned record. One thread at a time, like the
     * socket's other calls.
     * {@snippet :
     * TcpInfo info = stream.tcpInfo();
     * assert info.stateName().equals("ESTABLISHED");
     * }
     * @return a snapshot of the kernel's view of this connection
     * @throws NativeIOException if the kernel refuses ({@code getsockopt(TCP_INFO)})
     * @throws IllegalStateException if closed
     */
    public TcpInfo tcpInfo() throws NativeIOException {
        IoScratch io = IoScratch.take();
        try {
            // Staging is larger than any tcp_info, and what the kernel leaves out stays zero.
            io.staging.asSlice(0, tcp_info.sizeof()).fill((byte) 0);
            getOptionValue(Linux.IPPROTO_TCP(), Linux.TCP_INFO(), io.staging, (int) tcp_info.sizeof(),
                    "getsockopt(TCP_INFO)");
            return TcpInfo.read(io.staging);
        } finally {
            io.release();
        }
    }

    /**
     * The local address; after connect it holds the ephemeral port.
     * @throws IllegalStateException if closed
     */
    @Override
    public InetSocketAddress localAddress() throws NativeIOException {
        return (InetSocketAddress) super.localAddress();
    }

    /**
     * The peer's address.
     * @throws NativeIOException ENOTCONN if not connected
     */
    @Override
    public InetSocketAddress peerAddress() throws NativeIOException {
        return (InetSocketAddress) super.peerAddress();
    }
}
