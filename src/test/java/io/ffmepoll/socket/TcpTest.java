package io.ffmepoll.socket;

import io.ffmepoll.epoll.Descriptor;
import io.ffmepoll.epoll.Epoll;
import io.ffmepoll.epoll.Errors;
import io.ffmepoll.epoll.EventArray;
import io.ffmepoll.epoll.Interest;
import io.ffmepoll.epoll.NativeIOException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class TcpTest {

    static final InetSocketAddress LOOPBACK4 = new InetSocketAddress("127.0.0.1", 0);
    static final InetSocketAddress LOOPBACK6 = new InetSocketAddress("::1", 0);

    /** A connected client/server pair through {@code listener}, connect completed via epoll. */
    record Pair(TcpStream client, TcpStream server) implements AutoCloseable {
        @Override
        public void close() {
            client.close();
            server.close();
        }
    }

    static Pair connect(TcpListener listener, InetSocketAddress target, Option.Value<?>... options) throws Exception {
        TcpStream client = TcpStream.connect(target, options);
        try (Epoll epoll = Epoll.open(); EventArray events = EventArray.allocate(4)) {
            epoll.add(client, Interest.of(Interest.OUT, Interest.ET), 1);
            epoll.add(listener, Interest.of(Interest.IN, Interest.ET), 2);
            TcpStream server = null;
            boolean connected = client.finishConnect();
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (server == null || !connected) {
                if (System.nanoTime() > deadline) fail("connect did not complete");
                if (server == null) server = listener.accept();
                if (!connected) connected = client.finishConnect();
                if (server == null || !connected) epoll.wait(events, 100);
            }
            assertNull(listener.accept(), "only one connection was made");
            return new Pair(client, server);
        }
    }

    static Pair pair(InetSocketAddress bindTo) throws Exception {
        try (TcpListener listener = TcpListener.bind(bindTo, 16)) {
            return connect(listener, loopbackOf(listener));
        }
    }

    static InetSocketAddress loopbackOf(TcpListener listener) throws NativeIOException {
        InetSocketAddress a = listener.localAddress();
        return a.getAddress().isAnyLocalAddress() ? new InetSocketAddress("127.0.0.1", a.getPort()) : a;
    }

    @Test
    void bindingPortZeroReportsTheRealPort() throws Exception {
        try (TcpListener listener = TcpListener.bind(LOOPBACK4, 16)) {
            InetSocketAddress local = listener.localAddress();
            assertNotEquals(0, local.getPort());
            assertEquals("127.0.0.1", local.getAddress().getHostAddress());
            try (Pair p = connect(listener, local)) {
                assertEquals(local, p.client().peerAddress());
                assertEquals(p.client().localAddress(), p.server().peerAddress());
                assertEquals(local, p.server().localAddress());
            }
        }
    }

    @Test
    void acceptReturnsNullWhenNothingIsPending() throws Exception {
        try (TcpListener listener = TcpListener.bind(LOOPBACK4, 16)) {
            assertNull(listener.accept());
        }
    }

    @Test
    void smallExchangeIsByteExact() throws Exception {
        try (Pair p = pair(LOOPBACK4); Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocateFrom("hello, stream");
            assertEquals(out.byteSize(), p.client().write(out));
            MemorySegment in = arena.allocate(64);
            int n = readSome(p.server(), in);
            assertEquals("hello, stream", in.getString(0));
            assertEquals(out.byteSize(), n);
            assertEquals(Descriptor.WOULD_BLOCK, p.server().read(in));
        }
    }

    /** Waits (bounded) until {@code s} has data and reads it. */
    static int readSome(StreamSocket s, MemorySegment dst) throws Exception {
        try (Epoll epoll = Epoll.open(); EventArray events = EventArray.allocate(1)) {
            epoll.add(s, Interest.IN, 0);
            for (int i = 0; i < 50; i++) {
                int n = s.read(dst);
                if (n != Descriptor.WOULD_BLOCK) return n;
                epoll.wait(events, 100);
            }
        }
        return fail("no data within 5 s");
    }

    @ParameterizedTest
    @EnumSource(Pump.Style.class)
    void eightMebibytesCrossASmallSendBufferByteExactInEveryIoStyle(Pump.Style style) throws Exception {
        try (TcpListener listener = TcpListener.bind(LOOPBACK4, 16);
             Pair p = connect(listener, listener.localAddress(), Option.SO_SNDBUF.of(4096), Option.SO_RCVBUF.of(4096))) {
            p.server().setOption(Option.SO_SNDBUF, 4096);
            int waits = Pump.exchange(p.client(), style, p.server(), Pump.Style.SEGMENT, 8L << 20);
            // A 4 KiB buffer cannot hold 8 MiB: the transfer must have needed many edges.
            assertTrue(waits > 100, "only " + waits + " waits: the small buffer had no effect");
        }
    }

    @Test
    void wholeByteArraysAreWrittenAndReadAsTheReadmePromises() throws Exception {
        try (Pair p = pair(LOOPBACK4)) {
            byte[] hello = "hello".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            assertEquals(hello.length, p.client().write(hello));
            try (Epoll epoll = Epoll.open(); EventArray events = EventArray.allocate(1)) {
                epoll.add(p.server(), Interest.IN, 0);
                assertEquals(1, epoll.wait(events, 5000), "nothing arrived");
            }
            byte[] got = new byte[16];
            int n = p.server().read(got);
            assertArrayEquals(hello, java.util.Arrays.copyOf(got, n));
        }
    }

    @Test
    void ipv6LoopbackCarriesEightMebibytes() throws Exception {
        try (TcpListener listener = TcpListener.bind(LOOPBACK6, 16);
             Pair p = connect(listener, listener.localAddress(), Option.SO_SNDBUF.of(8192))) {
            assertInstanceOf(Inet6Address.class, p.server().peerAddress().getAddress());
            Pump.exchange(p.client(), Pump.Style.SEGMENT, p.server(), Pump.Style.HEAP_ARRAY, 8L << 20);
        }
    }

    @Test
    void dualStackListenerAcceptsIpv4AndIpv6Clients() throws Exception {
        try (TcpListener listener = TcpListener.bind(new InetSocketAddress("::", 0), 16, Option.IPV6_V6ONLY.of(false))) {
            int port = listener.localAddress().getPort();
            assertFalse(listener.getOption(Option.IPV6_V6ONLY));
            try (Pair v4 = connect(listener, new InetSocketAddress("127.0.0.1", port));
                 Pair v6 = connect(listener, new InetSocketAddress("::1", port))) {
                // The kernel hands the v4 peer over as ::ffff:127.0.0.1; it must come back as IPv4.
                assertInstanceOf(Inet4Address.class, v4.server().peerAddress().getAddress());
                assertInstanceOf(Inet6Address.class, v6.server().peerAddress().getAddress());
                Pump.exchange(v4.client(), Pump.Style.SEGMENT, v4.server(), Pump.Style.SEGMENT, 1 << 20);
            }
        }
    }

    @Test
    void v6OnlyListenerRefusesIpv4() throws Exception {
        try (TcpListener listener = TcpListener.bind(new InetSocketAddress("::", 0), 16, Option.IPV6_V6ONLY.of(true))) {
            int port = listener.localAddress().getPort();
            NativeIOException e = assertThrows(NativeIOException.class,
                    () -> connect(listener, new InetSocketAddress("127.0.0.1", port)).close());
            assertEquals(Errors.ECONNREFUSED, e.errno());
        }
    }

    @Test
    void halfCloseIsEndOfStreamWhileTheOtherDirectionStillWorks() throws Exception {
        try (Pair p = pair(LOOPBACK4); Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(64);
            p.client().write(arena.allocateFrom("last words"));
            p.client().shutdownOutput();
            assertEquals(10 + 1, readSome(p.server(), buf));
            assertEquals(Descriptor.EOF, readSome(p.server(), buf));
            assertEquals(Descriptor.EOF, p.server().read(buf), "EOF is sticky");
            // The server can still answer, and the client still reads it.
            assertEquals(5, p.server().write(arena.allocateFrom("reply").asSlice(0, 5)));
            assertEquals(5, readSome(p.client(), buf));
            assertEquals("reply", new String(buf.asSlice(0, 5).toArray(ValueLayout.JAVA_BYTE)));
            p.server().shutdownOutput();
            assertEquals(Descriptor.EOF, readSome(p.client(), buf));
        }
    }

    @Test
    void shutdownInputMakesReadsReturnEndOfStream() throws Exception {
        try (Pair p = pair(LOOPBACK4); Arena arena = Arena.ofConfined()) {
            p.server().shutdownInput();
            assertEquals(Descriptor.EOF, p.server().read(arena.allocate(16)));
        }
    }

    @Test
    void abortiveCloseIsSeenAsConnectionReset() throws Exception {
        try (Pair p = pair(LOOPBACK4); Arena arena = Arena.ofConfined()) {
            p.client().setOption(Option.SO_LINGER, 0);
            assertEquals(0, p.client().getOption(Option.SO_LINGER));
            p.client().close();   // SO_LINGER 0: RST instead of FIN
            NativeIOException e = assertThrows(NativeIOException.class, () -> readSome(p.server(), arena.allocate(16)));
            assertEquals(Errors.ECONNRESET, e.errno());
            assertEquals("ECONNRESET", e.errnoName());
        }
    }

    @Test
    void writingAfterThePeerResetThrowsInsteadOfRaisingSigpipe() throws Exception {
        try (Pair p = pair(LOOPBACK4); Arena arena = Arena.ofConfined()) {
            p.server().setOption(Option.SO_LINGER, 0);
            p.server().close();
            MemorySegment data = arena.allocate(1024);
            NativeIOException e = assertThrows(NativeIOException.class, () -> {
                for (int i = 0; i < 100; i++) {
                    p.client().write(data);
                    Thread.sleep(5);
                }
            });
            assertTrue(e.errno() == Errors.EPIPE || e.errno() == Errors.ECONNRESET, e.getMessage());
        }
    }

    @Test
    void connectingToAClosedPortIsRefused() throws Exception {
        int port;
        try (TcpListener listener = TcpListener.bind(LOOPBACK4, 1)) {
            port = listener.localAddress().getPort();
        }
        try (TcpStream s = TcpStream.connect(new InetSocketAddress("127.0.0.1", port));
             Epoll epoll = Epoll.open(); EventArray events = EventArray.allocate(1)) {
            epoll.add(s, Interest.of(Interest.OUT, Interest.ET), 0);
            NativeIOException e = assertThrows(NativeIOException.class, () -> {
                for (int i = 0; i < 50 && !s.finishConnect(); i++) epoll.wait(events, 100);
            });
            assertEquals(Errors.ECONNREFUSED, e.errno());
            assertEquals("connect", e.call());
            assertFalse(s.isConnected());
            // The failure is not forgotten once SO_ERROR has been read.
            assertEquals(Errors.ECONNREFUSED, assertThrows(NativeIOException.class, s::finishConnect).errno());
        }
    }

    @Test
    void nonBlockingConnectReportsInProgressThenCompletion() throws Exception {
        try (TcpListener listener = TcpListener.bind(LOOPBACK4, 16);
             TcpStream s = TcpStream.connect(listener.localAddress());
             Epoll epoll = Epoll.open(); EventArray events = EventArray.allocate(1)) {
            // Nothing has run the handshake's other half on this thread yet; whether the kernel
            // finished it already or not, finishConnect must agree with getpeername.
            epoll.add(s, Interest.of(Interest.OUT, Interest.ET), 0);
            assertEquals(1, epoll.wait(events, 2000));
            assertTrue(s.finishConnect());
            assertTrue(s.isConnected());
            assertTrue(s.finishConnect(), "stays true");
            try (TcpStream accepted = listener.accept()) {
                assertEquals(s.localAddress(), accepted.peerAddress());
            }
        }
    }

    @Test
    void connectToAnUnresolvedAddressIsRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> TcpStream.connect(InetSocketAddress.createUnresolved("localhost", 80)));
    }

    @Test
    void bindingAPortInUseNamesTheAddress() throws Exception {
        try (TcpListener first = TcpListener.bind(LOOPBACK4, 16)) {
            NativeIOException e = assertThrows(NativeIOException.class,
                    () -> TcpListener.bind(first.localAddress(), 16, Option.SO_REUSEADDR.of(false)));
            assertEquals(Errors.EADDRINUSE, e.errno());
            assertTrue(e.call().contains(String.valueOf(first.localAddress().getPort())), e.call());
        }
    }

    @Test
    void reusePortLetsTwoListenersShareAnAddress() throws Exception {
        try (TcpListener first = TcpListener.bind(LOOPBACK4, 16, true);
             TcpListener second = TcpListener.bind(first.localAddress(), 16, true)) {
            assertEquals(first.localAddress(), second.localAddress());
            assertTrue(second.getOption(Option.SO_REUSEPORT));
        }
    }

    @Test
    void useAfterCloseIsIllegalState() throws Exception {
        Pair p = pair(LOOPBACK4);
        p.close();
        p.close();   // idempotent
        assertThrows(IllegalStateException.class, () -> p.client().read(new byte[4], 0, 4));
        assertThrows(IllegalStateException.class, () -> p.server().write(MemorySegment.ofArray(new byte[4])));
        assertThrows(IllegalStateException.class, () -> p.client().getOption(Option.TCP_NODELAY));
        assertThrows(IllegalStateException.class, p.client()::finishConnect);
        TcpListener l = TcpListener.bind(LOOPBACK4, 1);
        l.close();
        assertThrows(IllegalStateException.class, l::accept);
    }

    @Test
    void everyTcpSocketIsCloexecAndNonblocking() throws Exception {
        try (TcpListener listener = TcpListener.bind(LOOPBACK4, 16); Pair p = connect(listener, listener.localAddress())) {
            SocketAssertions.assertCloexecNonblock(listener);
            SocketAssertions.assertCloexecNonblock(p.client());
            SocketAssertions.assertCloexecNonblock(p.server());
        }
    }

    @Test
    void gatheringWriteSendsSegmentsInOrder() throws Exception {
        try (Pair p = pair(LOOPBACK4); Arena arena = Arena.ofConfined()) {
            MemorySegment[] parts = {arena.allocateFrom("ab").asSlice(0, 2), MemorySegment.ofArray("cd".getBytes()),
                    MemorySegment.ofArray(new byte[0]), arena.allocateFrom("ef").asSlice(0, 2)};
            assertEquals(6, p.client().write(parts, 0, parts.length));
            assertEquals(2, p.client().write(parts, 1, 1));
            byte[] in = new byte[16];
            MemorySegment buf = arena.allocate(16);
            int n = readSome(p.server(), buf);
            assertEquals(8, n);
            MemorySegment.copy(buf, ValueLayout.JAVA_BYTE, 0, in, 0, n);
            assertArrayEquals("abcdefcd".getBytes(), java.util.Arrays.copyOf(in, n));
        }
    }
}
