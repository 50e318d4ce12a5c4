package io.ffmepoll.socket;

import io.ffmepoll.epoll.NativeIOException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class OptionTest {

    static <T> void roundTrip(SocketDescriptor s, Option<T> option, T value) throws NativeIOException {
        s.setOption(option, value);
        assertEquals(value, s.getOption(option), option.name());
    }

    static <T> void bothWays(SocketDescriptor s, Option<Boolean> option) throws NativeIOException {
        roundTrip(s, option, true);
        roundTrip(s, option, false);
        roundTrip(s, option, true);
    }

    @Test
    void streamOptionsRoundTrip() throws Exception {
        try (TcpTest.Pair p = TcpTest.pair(TcpTest.LOOPBACK4)) {
            TcpStream s = p.client();
            bothWays(s, Option.TCP_NODELAY);
            bothWays(s, Option.SO_KEEPALIVE);
            bothWays(s, Option.SO_REUSEADDR);
            bothWays(s, Option.SO_REUSEPORT);
            bothWays(s, Option.TCP_CORK);
            roundTrip(s, Option.TCP_KEEPIDLE, 77);
            roundTrip(s, Option.TCP_KEEPINTVL, 9);
            roundTrip(s, Option.TCP_KEEPCNT, 4);
            roundTrip(s, Option.TCP_NOTSENT_LOWAT, 16384);
            roundTrip(s, Option.SO_LINGER, 5);
            roundTrip(s, Option.SO_LINGER, 0);
            roundTrip(s, Option.SO_LINGER, -1);
            // TCP_QUICKACK reads back the current mode, which the kernel may leave on its own;
            // right after setting it on an idle socket it still holds.
            roundTrip(s, Option.TCP_QUICKACK, true);
        }
    }

    @Test
    void bufferSizesReadBackDoubledAsLinuxDocuments() throws Exception {
        try (TcpTest.Pair p = TcpTest.pair(TcpTest.LOOPBACK4)) {
            p.client().setOption(Option.SO_RCVBUF, 65536);
            assertEquals(2 * 65536, p.client().getOption(Option.SO_RCVBUF));
            p.client().setOption(Option.SO_SNDBUF, 32768);
            assertEquals(2 * 32768, p.client().getOption(Option.SO_SNDBUF));
        }
    }

    @Test
    void listenerOptionsRoundTrip() throws Exception {
        try (TcpListener l = TcpListener.bind(TcpTest.LOOPBACK4, 16, Option.TCP_FASTOPEN.of(16))) {
            assertEquals(16, l.getOption(Option.TCP_FASTOPEN));
            assertTrue(l.getOption(Option.SO_REUSEADDR), "listeners reuse addresses by default");
            l.setOption(Option.TCP_DEFER_ACCEPT, 5);
            // Kept as a SYN-ACK retransmission count: reads back rounded up, never below.
            assertTrue(l.getOption(Option.TCP_DEFER_ACCEPT) >= 5);
            roundTrip(l, Option.TCP_DEFER_ACCEPT, 0);
        }
    }

    @Test
    void v6OnlyRoundTripsOnAnIpv6Socket() throws Exception {
        try (UdpSocket s = UdpSocket.open(java.net.StandardProtocolFamily.INET6)) {
            bothWays(s, Option.IPV6_V6ONLY);
        }
    }

    @Test
    void busyPollRoundTripsOrFailsNamingTheOption() throws Exception {
        try (UdpSocket s = UdpSocket.bind(TcpTest.LOOPBACK4)) {
            try {
                s.setOption(Option.SO_BUSY_POLL, 50);
                assertEquals(50, s.getOption(Option.SO_BUSY_POLL));
            } catch (NativeIOException e) {
                // Raising it needs CAP_NET_ADMIN (EPERM), and a kernel built without busy
                // polling refuses it outright; either way the refusal must say which option.
                assertEquals("setsockopt(SO_BUSY_POLL)", e.call());
                assertTrue(e.getMessage().startsWith("setsockopt(SO_BUSY_POLL): "), e.getMessage());
            }
        }
    }

    @Test
    void anOptionTheKernelRefusesFailsNamingIt() throws Exception {
        try (TcpTest.Pair p = TcpTest.pair(TcpTest.LOOPBACK4)) {
            NativeIOException e = assertThrows(NativeIOException.class, () -> p.client().setOption(Option.IPV6_V6ONLY, true));
            assertEquals("setsockopt(IPV6_V6ONLY)", e.call());
            assertTrue(e.getMessage().startsWith("setsockopt(IPV6_V6ONLY): "), e.getMessage());
            NativeIOException g = assertThrows(NativeIOException.class, () -> p.client().getOption(Option.IPV6_V6ONLY));
            assertEquals("getsockopt(IPV6_V6ONLY)", g.call());
        }
        UnixStream[] pair = UnixStream.pair();
        try (UnixStream a = pair[0]; UnixStream b = pair[1]) {
            NativeIOException e = assertThrows(NativeIOException.class, () -> a.setOption(Option.TCP_NODELAY, true));
            assertEquals("setsockopt(TCP_NODELAY)", e.call());
        }
    }

    @Test
    void optionsGivenToFactoriesAreInForceBeforeBindAndConnect() throws Exception {
        try (TcpListener l = TcpListener.bind(new InetSocketAddress("::1", 0), 4, Option.IPV6_V6ONLY.of(true),
                Option.SO_RCVBUF.of(8192));
             TcpStream s = TcpStream.connect(l.localAddress(), Option.TCP_NODELAY.of(true), Option.SO_SNDBUF.of(8192))) {
            assertTrue(l.getOption(Option.IPV6_V6ONLY));
            assertEquals(16384, l.getOption(Option.SO_RCVBUF));
            assertTrue(s.getOption(Option.TCP_NODELAY));
            assertEquals(16384, s.getOption(Option.SO_SNDBUF));
        }
        try (TcpListener plain = TcpListener.bind(TcpTest.LOOPBACK4, 1, Option.SO_REUSEADDR.of(false))) {
            assertFalse(plain.getOption(Option.SO_REUSEADDR), "a later option overrides the default");
        }
    }

    @Test
    void nullOptionValuesAreRejected() throws Exception {
        assertThrows(NullPointerException.class, () -> Option.TCP_NODELAY.of(null));
        try (UdpSocket s = UdpSocket.bind(TcpTest.LOOPBACK4)) {
            assertThrows(NullPointerException.class, () -> s.setOption(Option.SO_RCVBUF, null));
        }
    }
}
