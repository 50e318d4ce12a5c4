package io.ffmepoll.socket;

import io.ffmepoll.epoll.Descriptor;
import io.ffmepoll.epoll.EventFd;
import io.ffmepoll.epoll.Interest;
import io.ffmepoll.epoll.Pipe;
import io.ffmepoll.internal.gen.Linux;
import io.ffmepoll.internal.sys.Sys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.StandardProtocolFamily;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Raw descriptor numbers: adopting one, detaching one, and turning one into a typed socket after a check. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class RawDescriptorTest {

    private static boolean isOpen(int fd) {
        return Files.exists(Path.of("/proc/self/fd/" + fd), java.nio.file.LinkOption.NOFOLLOW_LINKS);
    }

    @Test
    void detachHandsTheFdBackOpenAndTheObjectIsClosedForUse() throws Exception {
        EventFd wake = EventFd.open();
        int fd = wake.detach();
        try {
            assertTrue(isOpen(fd), "detach closed the fd");
            assertFalse(wake.isOpen());
            IllegalStateException use = assertThrows(IllegalStateException.class, wake::read);
            assertEquals("EventFd is detached", use.getMessage());
            assertThrows(IllegalStateException.class, wake::detach);
            wake.close();                       // does nothing: the fd is not ours any more
            wake.close();
            assertTrue(isOpen(fd), "close after detach closed the fd it had given away");
            assertEquals("EventFd[detached]", wake.toString());
        } finally {
            Sys.close(fd);
        }
    }

    @Test
    void adoptedFdIsClosedExactlyOnceByItsNewOwner() throws Exception {
        try (Pipe pipe = Pipe.open(); Arena arena = Arena.ofConfined()) {
            int raw = pipe.sink().detach();
            ReceivedDescriptor sink = ReceivedDescriptor.adopt(raw);
            assertEquals(1, sink.write(arena.allocateFrom(java.lang.foreign.ValueLayout.JAVA_BYTE, (byte) 7)));
            MemorySegment in = arena.allocate(4);
            assertEquals(1, pipe.source().read(in));
            sink.close();
            assertFalse(isOpen(raw), "the adopted fd was not closed by its owner");
            sink.close();                       // idempotent: no second close(2) of a number maybe reused
        }
    }

    @Test
    void adoptRefusesANumberThatIsNotOpen() throws Exception {
        EventFd e = EventFd.open();
        int fd = e.fd();
        e.close();
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> ReceivedDescriptor.adopt(fd));
        assertEquals("fd " + fd + " is not open", x.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ReceivedDescriptor.adopt(-1));
    }

    @Test
    void aListenerBecomesATcpListenerOnlyAfterTheTypeCheck() throws Exception {
        TcpListener original = TcpListener.bind(TcpTest.LOOPBACK4, 16);
        java.net.InetSocketAddress address = original.localAddress();
        try (ReceivedDescriptor raw = ReceivedDescriptor.adopt(original.detach())) {
            IllegalArgumentException notStream = assertThrows(IllegalArgumentException.class, raw::asTcpStream);
            assertEquals("fd " + raw.fd() + " is an AF_INET SOCK_STREAM TCP listening socket, not a TCP stream",
                    notStream.getMessage());
            assertThrows(IllegalArgumentException.class, raw::asUdpSocket);
            assertThrows(IllegalArgumentException.class, raw::asUnixListener);
            assertTrue(raw.isOpen(), "a refused conversion must leave the descriptor with its owner");
            try (TcpListener listener = raw.asTcpListener()) {
                assertFalse(raw.isOpen());
                assertEquals(address, listener.localAddress());
                try (TcpTest.Pair p = TcpTest.connect(listener, address)) {
                    assertEquals(address, p.server().localAddress());
                }
            }
        }
    }

    @Test
    void aReceivedTcpStreamCarriesTheConnectionAndIsMadeNonBlocking() throws Exception {
        UnixStream[] carrier = UnixStream.pair();
        try (TcpTest.Pair p = TcpTest.pair(TcpTest.LOOPBACK4); Arena arena = Arena.ofConfined();
             UnixStream a = carrier[0]; UnixStream b = carrier[1]) {
            // The sender's open file in blocking mode: the received socket must not block a loop.
            int fl = Sys.fcntl(p.server().fd(), Linux.F_GETFL(), 0);
            assertEquals(0, Sys.fcntl(p.server().fd(), Linux.F_SETFL(), fl & ~Linux.O_NONBLOCK()));
            assertEquals(1, a.sendDescriptors(arena.allocate(1), p.server()));
            List<ReceivedDescriptor> fds = new ArrayList<>();
            assertTrue(b.poll(Interest.IN, Duration.ofSeconds(5)).contains(Interest.IN));
            assertEquals(1, b.receiveDescriptors(arena.allocate(1), fds));
            assertEquals(1, fds.size());
            try (ReceivedDescriptor raw = fds.get(0); TcpStream server = raw.asTcpStream()) {
                SocketAssertions.assertCloexecNonblock(server);
                assertEquals(Descriptor.WOULD_BLOCK, server.read(arena.allocate(8)));
                assertEquals(p.client().localAddress(), server.peerAddress());
                assertTrue(server.finishConnect(), "a connected socket is connected at once");
                MemorySegment hello = arena.allocateFrom("hi");
                assertEquals(hello.byteSize(), p.client().write(hello));
                MemorySegment in = arena.allocate(8);
                assertEquals(hello.byteSize(), TcpTest.readSome(server, in));
                assertEquals("hi", in.getString(0));
            }
        }
    }

    @Test
    void eachKindConvertsOnlyToItsOwnType() throws Exception {
        UnixStream[] streams = UnixStream.pair();
        UnixDatagram[] datagrams = UnixDatagram.pair();
        UdpSocket udp = UdpSocket.open(StandardProtocolFamily.INET6);
        try (ReceivedDescriptor s = ReceivedDescriptor.adopt(streams[0].detach());
             ReceivedDescriptor d = ReceivedDescriptor.adopt(datagrams[0].detach());
             ReceivedDescriptor u = ReceivedDescriptor.adopt(udp.detach());
             UnixStream peer = streams[1]; UnixDatagram dpeer = datagrams[1]) {
            assertEquals("fd " + s.fd() + " is an AF_UNIX SOCK_STREAM socket, not a Unix datagram socket",
                    assertThrows(IllegalArgumentException.class, s::asUnixDatagram).getMessage());
            assertThrows(IllegalArgumentException.class, s::asUnixListener);
            assertThrows(IllegalArgumentException.class, s::asTcpStream);
            assertThrows(IllegalArgumentException.class, d::asUnixStream);
            assertThrows(IllegalArgumentException.class, d::asUdpSocket);
            assertEquals("fd " + u.fd() + " is an AF_INET6 SOCK_DGRAM UDP socket, not a TCP stream",
                    assertThrows(IllegalArgumentException.class, u::asTcpStream).getMessage());
            assertThrows(IllegalArgumentException.class, u::asUnixDatagram);
            try (UnixStream stream = s.asUnixStream(); UnixDatagram datagram = d.asUnixDatagram();
                 UdpSocket socket = u.asUdpSocket()) {
                assertEquals(peer.peerCredentials(), stream.peerCredentials());
                assertTrue(stream.finishConnect());
                assertTrue(datagram.isOpen() && socket.isOpen());
                assertThrows(IllegalStateException.class, s::asUnixStream, "converted twice");
            }
        }
    }

    @Test
    void aPipeIsNotASocket() throws Exception {
        try (Pipe pipe = Pipe.open(); ReceivedDescriptor raw = ReceivedDescriptor.adopt(pipe.source().detach())) {
            assertEquals("fd " + raw.fd() + " is not a socket, not a TCP stream",
                    assertThrows(IllegalArgumentException.class, raw::asTcpStream).getMessage());
            assertTrue(raw.isOpen());
        }
    }
}
