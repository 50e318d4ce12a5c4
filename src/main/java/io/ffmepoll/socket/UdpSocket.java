package io.ffmepoll.socket;

import io.ffmepoll.epoll.NativeIOException;

import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;

/**
 * A non-blocking UDP socket over IPv4 or IPv6 (dual stack on an IPv6 socket unless
 * {@link Option#IPV6_V6ONLY} says otherwise).
 * {@snippet :
 * try (UdpSocket server = UdpSocket.bind(new InetSocketAddress("127.0.0.1", 0));
 *      UdpSocket client = UdpSocket.open(StandardProtocolFamily.INET);
 *      Arena arena = Arena.ofConfined()) {
 *     client.send(arena.allocateFrom("ping"), server.localAddress());
 *     MemorySegment buf = arena.allocate(1500);
 *     int n = server.receive(buf);              // 5 (the string's NUL included), or WOULD_BLOCK
 *     server.reply(buf.asSlice(0, n));
 * }
 * }
 */
public final class UdpSocket extends DatagramSocket {

    private UdpSocket(int fd, int family) {
        super(fd, family);
    }

    /**
     * Opens an unbound socket; the kernel picks a local port on the first send.
     * @param family {@link StandardProtocolFamily#INET} or {@link StandardProtocolFamily#INET6}
     * @param options set after opening, in order
     * @return the socket
     * @throws NativeIOException if the socket cannot be created or an option is refused
     */
    public static UdpSocket open(StandardProtocolFamily family, Option.Value<?>... options) throws NativeIOException {
        int f = switch (family) {
            case INET -> AddressCodec.AF_INET;
            case INET6 -> AddressCodec.AF_INET6;
            case UNIX -> throw new IllegalArgumentException("use UnixDatagram for Unix domain datagrams");
        };
        return setUp(new UdpSocket(open(f, SOCK_DGRAM), f), s -> s.apply(options));
    }

    /**
     * Opens a socket of {@code local}'s family, applies {@code options}, and binds.
     * @param local a resolved address; port 0 lets the kernel choose
     * @param options set before binding, in order
     * @return the bound socket
     * @throws NativeIOException EADDRINUSE, EACCES, or a refused option
     */
    public static UdpSocket bind(InetSocketAddress local, Option.Value<?>... options) throws NativeIOException {
        int f = AddressCodec.family(local);
        return setUp(new UdpSocket(open(f, SOCK_DGRAM), f), s -> {
            s.apply(options);
            s.bindTo(local);
        });
    }

    /** The bound address, with the real port. */
    @Override
    public InetSocketAddress localAddress() throws NativeIOException {
        return (InetSocketAddress) super.localAddress();
    }
}
