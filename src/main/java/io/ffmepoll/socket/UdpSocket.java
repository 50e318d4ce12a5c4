package io.ffmepoll.socket;

import io.ffmepoll.epoll.NativeIOException;
import io.ffmepoll.internal.gen.Linux;
import io.ffmepoll.internal.gen.ip_mreqn;
import io.ffmepoll.internal.gen.ipv6_mreq;
import io.ffmepoll.internal.sys.NativeScratch;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.StandardProtocolFamily;
import java.util.Objects;

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
 * <h2>Multicast</h2>
 * {@link #joinGroup} and {@link #leaveGroup} manage group membership ({@code IP_ADD_MEMBERSHIP}
 * with a {@code struct ip_mreqn}, {@code IPV6_JOIN_GROUP} with a {@code struct ipv6_mreq});
 * {@link Option#IP_MULTICAST_LOOP}, {@link Option#IP_MULTICAST_TTL} and their IPv6 twins shape
 * what this socket sends. An IPv6 socket may join IPv4 groups too (Linux answers the IPv4 level
 * on it); an IPv4 socket cannot join IPv6 groups.
 * {@snippet :
 * InetAddress group = InetAddress.getByName("239.1.2.3");
 * try (UdpSocket s = UdpSocket.bind(new InetSocketAddress(5000), Option.SO_REUSEADDR.of(true))) {
 *     s.joinGroup(group, NetworkInterface.getByName("eth0"));
 *     // ... receive what the group's senders send to port 5000
 *     s.leaveGroup(group, NetworkInterface.getByName("eth0"));
 * }
 * }
 * <p>I/O and membership calls are meant for one thread at a time; {@link #close()} may come from
 * any thread.
 */
public final class UdpSocket extends DatagramSocket {

    private static final int IP = Linux.IPPROTO_IP();
    private static final int IPV6 = Linux.IPPROTO_IPV6();

    UdpSocket(int fd, int family) {
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

    /**
     * Joins multicast {@code group} on {@code networkInterface}: datagrams sent to the group and
     * to this socket's port arrive here. One thread at a time.
     * @param group an IPv4 or IPv6 multicast address
     * @param networkInterface where to join, or null to let the kernel choose by its routes
     * @throws IllegalArgumentException if {@code group} is not multicast, or is IPv6 on an IPv4 socket
     * @throws NativeIOException EADDRINUSE if already a member there; ENODEV if no interface
     *         reaches the group; ENOBUFS past {@code igmp_max_memberships}
     * @throws IllegalStateException if closed
     */
    public void joinGroup(InetAddress group, NetworkInterface networkInterface) throws NativeIOException {
        membership(group, networkInterface, true);
    }

    /**
     * Leaves a group joined with {@link #joinGroup}; closing the socket leaves every group.
     * One thread at a time.
     * @param group the group joined
     * @param networkInterface the interface given to {@link #joinGroup}, or null as there
     * @throws IllegalArgumentException as {@link #joinGroup}
     * @throws NativeIOException EADDRNOTAVAIL if not a member
     * @throws IllegalStateException if closed
     */
    public void leaveGroup(InetAddress group, NetworkInterface networkInterface) throws NativeIOException {
        membership(group, networkInterface, false);
    }

    private void membership(InetAddress group, NetworkInterface networkInterface, boolean join)
            throws NativeIOException {
        Objects.requireNonNull(group, "group");
        if (!group.isMulticastAddress()) throw new IllegalArgumentException("not a multicast address: " + group);
        int index = networkInterface == null ? 0 : networkInterface.getIndex();
        NativeScratch s = NativeScratch.current();
        MemorySegment v = s.option;
        v.fill((byte) 0);
        byte[] address = group.getAddress();
        if (group instanceof Inet4Address) {
            MemorySegment.copy(address, 0, v, ValueLayout.JAVA_BYTE, ip_mreqn.imr_multiaddr$offset(), address.length);
            ip_mreqn.imr_ifindex(v, index);
            String call = join ? "setsockopt(IP_ADD_MEMBERSHIP)" : "setsockopt(IP_DROP_MEMBERSHIP)";
            setOptionValue(IP, join ? Linux.IP_ADD_MEMBERSHIP() : Linux.IP_DROP_MEMBERSHIP(), v,
                    (int) ip_mreqn.sizeof(), call);
        } else {
            if (family != AddressCodec.AF_INET6) {
                throw new IllegalArgumentException("an IPv4 socket cannot join IPv6 group " + group);
            }
            MemorySegment.copy(address, 0, v, ValueLayout.JAVA_BYTE, ipv6_mreq.ipv6mr_multiaddr$offset(), address.length);
            ipv6_mreq.ipv6mr_interface(v, index);
            String call = join ? "setsockopt(IPV6_JOIN_GROUP)" : "setsockopt(IPV6_LEAVE_GROUP)";
            setOptionValue(IPV6, join ? Linux.IPV6_JOIN_GROUP() : Linux.IPV6_LEAVE_GROUP(), v,
                    (int) ipv6_mreq.sizeof(), call);
        }
    }
}
