package io.ffmepoll.socket;

import io.ffmepoll.epoll.Descriptor;
import io.ffmepoll.epoll.Interest;
import io.ffmepoll.epoll.NativeIOException;
import io.ffmepoll.internal.gen.Linux;
import io.ffmepoll.internal.gen.ip_mreqn;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.StandardProtocolFamily;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The options beyond the first typed list: IP-level, multicast, TCP_USER_TIMEOUT, TCP_INFO, and the raw escape hatch. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class MoreOptionsTest {

    /** Sets {@code option}, reads it back typed, and reads the C option it must be with the raw call. */
    private static void roundTrip(SocketDescriptor s, Option<Integer> option, int value, int level, int name)
            throws NativeIOException {
        OptionTest.roundTrip(s, option, value);
        assertEquals(value, s.getRawIntOption(level, name), option.name() + " is not that C option");
    }

    private static void bothWays(SocketDescriptor s, Option<Boolean> option, int level, int name)
            throws NativeIOException {
        OptionTest.bothWays(s, option);
        s.setOption(option, false);
        assertEquals(0, s.getRawIntOption(level, name), option.name() + " is not that C option");
        s.setOption(option, true);
        assertEquals(1, s.getRawIntOption(level, name), option.name() + " is not that C option");
    }

    @Test
    void ipAndTcpOptionsRoundTrip() throws Exception {
        int ip = Linux.IPPROTO_IP(), ipv6 = Linux.IPPROTO_IPV6(), tcp = Linux.IPPROTO_TCP(), sol = Linux.SOL_SOCKET();
        try (TcpTest.Pair p = TcpTest.pair(TcpTest.LOOPBACK4);
             UdpSocket v4 = UdpSocket.open(StandardProtocolFamily.INET);
             UdpSocket v6 = UdpSocket.open(StandardProtocolFamily.INET6)) {
            roundTrip(p.client(), Option.IP_TOS, 0x28, ip, Linux.IP_TOS());
            roundTrip(p.client(), Option.TCP_USER_TIMEOUT, 12_345, tcp, Linux.TCP_USER_TIMEOUT());
            roundTrip(p.client(), Option.TCP_USER_TIMEOUT, 0, tcp, Linux.TCP_USER_TIMEOUT());
            bothWays(v4, Option.SO_BROADCAST, sol, Linux.SO_BROADCAST());
            roundTrip(v4, Option.IP_TOS, 0xb8, ip, Linux.IP_TOS());
            roundTrip(v4, Option.IP_MULTICAST_TTL, 7, ip, Linux.IP_MULTICAST_TTL());
            bothWays(v4, Option.IP_MULTICAST_LOOP, ip, Linux.IP_MULTICAST_LOOP());
            roundTrip(v6, Option.IPV6_TCLASS, 0x48, ipv6, Linux.IPV6_TCLASS());
            roundTrip(v6, Option.IPV6_MULTICAST_HOPS, 9, ipv6, Linux.IPV6_MULTICAST_HOPS());
            bothWays(v6, Option.IPV6_MULTICAST_LOOP, ipv6, Linux.IPV6_MULTICAST_LOOP());
            roundTrip(p.server(), Option.SO_INCOMING_CPU, 0, sol, Linux.SO_INCOMING_CPU());
        }
    }

    @Test
    void incomingCpuNamesACpuOnceTrafficArrived() throws Exception {
        try (TcpTest.Pair p = TcpTest.pair(TcpTest.LOOPBACK4); Arena arena = Arena.ofConfined()) {
            p.client().write(arena.allocateFrom("x"));
            assertEquals(2, TcpTest.readSome(p.server(), arena.allocate(8)));
            int cpu = p.server().getOption(Option.SO_INCOMING_CPU);
            assertTrue(cpu >= 0 && cpu < 4096, "cpu " + cpu);
        }
    }

    @Test
    void broadcastNeedsSoBroadcast() throws Exception {
        try (UdpSocket receiver = UdpSocket.bind(new InetSocketAddress("0.0.0.0", 0));
             UdpSocket sender = UdpSocket.open(StandardProtocolFamily.INET);
             Arena arena = Arena.ofConfined()) {
            InetSocketAddress broadcast = new InetSocketAddress("127.255.255.255", receiver.localAddress().getPort());
            MemorySegment ping = arena.allocateFrom("ping");
            NativeIOException refused = assertThrows(NativeIOException.class, () -> sender.send(ping, broadcast));
            assertEquals("EACCES", refused.errnoName());
            sender.setOption(Option.SO_BROADCAST, true);
            assertEquals(ping.byteSize(), sender.send(ping, broadcast));
            assertNotNull(receiver.poll(Interest.IN, Duration.ofSeconds(5)));
            MemorySegment in = arena.allocate(16);
            assertEquals(ping.byteSize(), receiver.receive(in));
            assertEquals("ping", in.getString(0));
        }
    }

    /**
     * Joins a group on the loopback interface and sends to it through loopback (IP_MULTICAST_IF
     * set through the raw escape hatch, as the typed list has no such option). Linux lets
     * IPv4 multicast run over lo; IPv6 multicast on lo has no route ({@code ENETUNREACH}), so
     * for IPv6 only membership is checked.
     */
    @Test
    void ipv4MulticastJoinedOnLoopbackIsReceivedUntilLeft() throws Exception {
        NetworkInterface lo = NetworkInterface.getByName("lo");
        InetAddress group = InetAddress.getByName("239.255.42.99");
        try (UdpSocket receiver = UdpSocket.bind(new InetSocketAddress("0.0.0.0", 0));
             UdpSocket sender = UdpSocket.open(StandardProtocolFamily.INET);
             Arena arena = Arena.ofConfined()) {
            receiver.joinGroup(group, lo);
            NativeIOException twice = assertThrows(NativeIOException.class, () -> receiver.joinGroup(group, lo));
            assertEquals("EADDRINUSE", twice.errnoName());
            assertEquals("setsockopt(IP_ADD_MEMBERSHIP)", twice.call());
            sender.setRawOption(Linux.IPPROTO_IP(), IP_MULTICAST_IF, mreqn(lo.getIndex()));
            InetSocketAddress target = new InetSocketAddress(group, receiver.localAddress().getPort());
            MemorySegment hello = arena.allocateFrom("hello group");
            assertEquals(hello.byteSize(), sender.send(hello, target));
            assertNotNull(receiver.poll(Interest.IN, Duration.ofSeconds(5)), "nothing arrived for the group");
            MemorySegment in = arena.allocate(64);
            assertEquals(hello.byteSize(), receiver.receive(in));
            assertEquals("hello group", in.getString(0));

            // (IP_MULTICAST_LOOP makes no difference here: a datagram sent out of lo comes back in
            // as real input, so only leaving the group can stop it.)
            receiver.leaveGroup(group, lo);
            assertEquals(hello.byteSize(), sender.send(hello, target));
            assertEquals(null, receiver.poll(Interest.IN, Duration.ofMillis(200)),
                    "a datagram arrived after leaving the group");
            NativeIOException notMember = assertThrows(NativeIOException.class, () -> receiver.leaveGroup(group, lo));
            assertEquals("EADDRNOTAVAIL", notMember.errnoName());
        }
    }

    @Test
    void ipv6MembershipIsJoinedAndLeft() throws Exception {
        NetworkInterface lo = NetworkInterface.getByName("lo");
        InetAddress group = InetAddress.getByName("ff02::4242");
        try (UdpSocket v6 = UdpSocket.bind(new InetSocketAddress("::", 0));
             UdpSocket v4 = UdpSocket.open(StandardProtocolFamily.INET)) {
            v6.joinGroup(group, lo);
            assertEquals("EADDRINUSE", assertThrows(NativeIOException.class, () -> v6.joinGroup(group, lo)).errnoName());
            v6.leaveGroup(group, lo);
            NativeIOException notMember = assertThrows(NativeIOException.class, () -> v6.leaveGroup(group, lo));
            assertEquals("setsockopt(IPV6_LEAVE_GROUP)", notMember.call());
            assertThrows(IllegalArgumentException.class, () -> v4.joinGroup(group, lo));
            assertThrows(IllegalArgumentException.class, () -> v6.joinGroup(InetAddress.getByName("127.0.0.1"), lo));
        }
    }

    @Test
    void tcpInfoDescribesTheConnection() throws Exception {
        try (TcpTest.Pair p = TcpTest.pair(TcpTest.LOOPBACK4); Arena arena = Arena.ofConfined()) {
            for (int i = 0; i < 3; i++) {
                assertEquals(2, p.client().write(arena.allocateFrom("x")));
                assertEquals(2, TcpTest.readSome(p.server(), arena.allocate(8)));
                assertEquals(2, p.server().write(arena.allocateFrom("y")));
                assertEquals(2, TcpTest.readSome(p.client(), arena.allocate(8)));
            }
            TcpInfo info = p.client().tcpInfo();
            assertEquals(Linux.TCP_ESTABLISHED(), info.state());
            assertEquals("ESTABLISHED", info.stateName());
            assertEquals(0, info.congestionState());
            // RTO = srtt + 4 rttvar, at least 200 ms: on loopback far above the round trip itself.
            assertTrue(info.rttMicros() > 0 && info.rttMicros() < info.rtoMicros() / 4, info.toString());
            assertTrue(info.rtoMicros() >= 200_000, info.toString());          // Linux's minimum RTO
            assertTrue(info.sendMss() > 0 && info.sendMss() <= 65_535, info.toString());
            assertTrue(info.sendCongestionWindow() >= 1, info.toString());
            assertTrue(info.pathMtu() >= 1280 && info.pathMtu() <= 65_536, info.toString());
            assertEquals(0, info.totalRetransmits(), info.toString());
            assertEquals(0, info.unacked(), info.toString());

            p.client().shutdownOutput();
            assertEquals(Descriptor.EOF, TcpTest.readSome(p.server(), arena.allocate(8)));
            assertEquals("CLOSE_WAIT", p.server().tcpInfo().stateName());
        }
    }

    @Test
    void rawOptionsReachTheKernelAsGiven() throws Exception {
        try (TcpTest.Pair p = TcpTest.pair(TcpTest.LOOPBACK4)) {
            TcpStream s = p.client();
            s.setRawOption(Linux.SOL_SOCKET(), Linux.SO_KEEPALIVE(), 1);
            assertEquals(true, s.getOption(Option.SO_KEEPALIVE));
            assertEquals(1, s.getRawIntOption(Linux.SOL_SOCKET(), Linux.SO_KEEPALIVE()));
            s.setOption(Option.TCP_KEEPIDLE, 321);
            assertEquals(321, s.getRawIntOption(Linux.IPPROTO_TCP(), Linux.TCP_KEEPIDLE()));
            // struct linger {int l_onoff; int l_linger;} as bytes in this machine's order
            byte[] linger = MemorySegment.ofArray(new int[] {1, 7}).toArray(ValueLayout.JAVA_BYTE);
            s.setRawOption(Linux.SOL_SOCKET(), Linux.SO_LINGER(), linger);
            assertEquals(7, s.getOption(Option.SO_LINGER));
            byte[] back = new byte[64];
            assertEquals(8, s.getRawOption(Linux.SOL_SOCKET(), Linux.SO_LINGER(), back));
            assertEquals(7, MemorySegment.ofArray(back).get(ValueLayout.JAVA_INT_UNALIGNED, 4));
            s.setOption(Option.SO_LINGER, -1);
            NativeIOException unknown = assertThrows(NativeIOException.class, () -> s.setRawOption(Linux.IPPROTO_TCP(), 9999, 1));
            assertEquals("setsockopt(6, 9999)", unknown.call());
        }
    }

    /** IP_MULTICAST_IF from {@code <linux/in.h>} (the same on every Linux architecture). */
    private static final int IP_MULTICAST_IF = 32;

    /** A struct ip_mreqn naming only an interface index, as IP_MULTICAST_IF takes it. */
    private static byte[] mreqn(int ifindex) {
        MemorySegment m = MemorySegment.ofArray(new byte[(int) ip_mreqn.sizeof()]);
        m.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.nativeOrder()), ip_mreqn.imr_ifindex$offset(), ifindex);
        return m.toArray(ValueLayout.JAVA_BYTE);
    }
}
