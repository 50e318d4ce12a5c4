package io.ffmepoll.socket;

import io.ffmepoll.epoll.Descriptor;
import io.ffmepoll.epoll.Epoll;
import io.ffmepoll.epoll.Errors;
import io.ffmepoll.epoll.EventArray;
import io.ffmepoll.epoll.Interest;
import io.ffmepoll.epoll.NativeIOException;
import io.ffmepoll.epoll.Pipe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class DatagramTest {

    static final InetSocketAddress LOOPBACK4 = new InetSocketAddress("127.0.0.1", 0);

    @TempDir
    Path dir;

    /** Waits (bounded) until {@code s} is readable. */
    static void awaitReadable(Descriptor s) throws Exception {
        try (Epoll epoll = Epoll.open(); EventArray events = EventArray.allocate(1)) {
            epoll.add(s, Interest.IN, 0);
            if (epoll.wait(events, 2000) != 1) fail("not readable within 2 s");
        }
    }

    @Test
    void udpKeepsMessageBoundariesEmptyDatagramsIncluded() throws Exception {
        try (UdpSocket server = UdpSocket.bind(LOOPBACK4);
             UdpSocket client = UdpSocket.open(StandardProtocolFamily.INET);
             Arena arena = Arena.ofConfined()) {
            InetSocketAddress to = server.localAddress();
            assertTrue(to.getPort() != 0);
            MemorySegment big = arena.allocate(1000).fill((byte) 7);
            assertEquals(1, client.send(MemorySegment.ofArray(new byte[] {42}), to));
            assertEquals(0, client.send(MemorySegment.ofArray(new byte[0]), to));
            assertEquals(1000, client.send(big, to));
            awaitReadable(server);
            MemorySegment buf = arena.allocate(4096);
            assertEquals(1, server.receive(buf));
            assertEquals(42, buf.get(ValueLayout.JAVA_BYTE, 0));
            assertEquals(0, server.receive(buf), "an empty datagram is 0 bytes, not end of stream");
            assertEquals(1000, server.receive(buf));
            assertEquals(-1, buf.asSlice(0, 1000).mismatch(big));
            assertEquals(Descriptor.WOULD_BLOCK, server.receive(buf));
            assertEquals(client.localAddress().getPort(), ((InetSocketAddress) server.sender()).getPort());
        }
    }

    @Test
    void udpReplyReachesTheSenderAndHeapVariantsWork() throws Exception {
        try (UdpSocket server = UdpSocket.bind(LOOPBACK4);
             UdpSocket client = UdpSocket.bind(LOOPBACK4)) {
            byte[] ping = "ping".getBytes();
            assertEquals(4, client.send(ping, 0, 4, server.localAddress()));
            awaitReadable(server);
            byte[] in = new byte[16];
            assertEquals(4, server.receive(in, 0, in.length));
            assertEquals(4, server.reply(MemorySegment.ofArray(in).asSlice(0, 4)));
            awaitReadable(client);
            ByteBuffer back = ByteBuffer.allocate(16);
            assertEquals(4, client.receive(back));
            assertEquals(4, back.position());
            assertArrayEquals(ping, java.util.Arrays.copyOf(back.array(), 4));
            assertEquals(server.localAddress(), client.sender());
        }
    }

    @Test
    void datagramsLongerThanTheBufferAreCutNotSpilledIntoTheNext() throws Exception {
        try (UdpSocket server = UdpSocket.bind(LOOPBACK4); UdpSocket client = UdpSocket.open(StandardProtocolFamily.INET)) {
            client.send(new byte[100], 0, 100, server.localAddress());
            client.send(new byte[] {9}, 0, 1, server.localAddress());
            awaitReadable(server);
            byte[] small = new byte[10];
            assertEquals(10, server.receive(small, 0, 10));
            assertEquals(1, server.receive(small, 0, 10));
            assertEquals(9, small[0]);
        }
    }

    /** A single-datagram receive says when the datagram was longer than the buffer (MSG_TRUNC). */
    @Test
    void singleDatagramReceivesReportTruncation() throws Exception {
        try (UdpSocket server = UdpSocket.bind(LOOPBACK4); UdpSocket client = UdpSocket.open(StandardProtocolFamily.INET);
             Arena arena = Arena.ofConfined()) {
            client.connect(server.localAddress());
            server.connect(client.localAddress());
            byte[] hundred = new byte[100];
            hundred[9] = 42;
            client.send(hundred, 0, 100, server.localAddress());
            client.send(hundred, 0, 10, server.localAddress());
            client.send(hundred, 0, 100, server.localAddress());
            client.send(hundred, 0, 100, server.localAddress());
            awaitReadable(server);
            MemorySegment ten = arena.allocate(10);
            assertEquals(10, server.receive(ten), "native: cut to the buffer");
            assertTrue(server.truncated(), "the 100-byte datagram was cut");
            assertEquals(42, ten.get(ValueLayout.JAVA_BYTE, 9));
            assertEquals(10, server.receive(new byte[10], 0, 10));
            assertFalse(server.truncated(), "a 10-byte datagram fits 10 bytes");
            assertEquals(10, server.receive(new byte[10], 0, 10), "heap: cut to the buffer");
            assertTrue(server.truncated());
            assertEquals(10, server.read(ten), "connected read");
            assertTrue(server.truncated());
            assertEquals(Descriptor.WOULD_BLOCK, server.receive(ten));
            assertFalse(server.truncated(), "nothing received: nothing cut");
        }
    }

    /**
     * A receive that found nothing must leave the last sender as it was: it used to leave the
     * address length at the slot's size, so sender() decoded 128 bytes ("abstract name longer
     * than 107 bytes") and reply() sent to a 128-byte address (EINVAL).
     */
    @Test
    void senderAndReplyAfterAWouldBlockReceiveStillNameTheLastSender() throws Exception {
        AbstractName serverName = UnixStreamTest.uniqueName();
        AbstractName clientName = UnixStreamTest.uniqueName();
        Path clientPath = dir.resolve("client.sock");
        try (UnixDatagram server = UnixDatagram.bind(serverName);
             UnixDatagram abstractClient = UnixDatagram.bind(clientName);
             UnixDatagram pathClient = UnixDatagram.bind(UnixDomainSocketAddress.of(clientPath));
             Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(16);
            for (UnixDatagram client : new UnixDatagram[] {abstractClient, pathClient}) {
                client.send(new byte[] {1, 2, 3}, 0, 3, serverName);
                awaitReadable(server);
                assertEquals(3, server.receive(buf));
                assertEquals(Descriptor.WOULD_BLOCK, server.receive(buf));
                assertEquals(client.localAddress(), server.sender());
                assertEquals(2, server.reply(buf.asSlice(0, 2)));
                awaitReadable(client);
                assertEquals(2, client.receive(buf));
            }
        }
    }

    /** Before any datagram arrived, sender() and reply() say so, even after a send allocated the slots. */
    @Test
    void senderBeforeAnyReceiveSaysNothingWasReceived() throws Exception {
        try (UdpSocket a = UdpSocket.bind(LOOPBACK4); UdpSocket b = UdpSocket.bind(LOOPBACK4)) {
            a.send(new byte[] {1}, 0, 1, b.localAddress());
            IllegalStateException e = assertThrows(IllegalStateException.class, a::sender);
            assertEquals("no datagram received yet", e.getMessage());
            e = assertThrows(IllegalStateException.class, () -> a.reply(MemorySegment.ofArray(new byte[1])));
            assertEquals("no datagram received yet", e.getMessage());
        }
    }

    @Test
    void mmsgBatchesSendAndReceiveManyMessagesInOneCall() throws Exception {
        int count = 32;
        try (UdpSocket server = UdpSocket.bind(LOOPBACK4);
             UdpSocket client = UdpSocket.bind(LOOPBACK4);
             DatagramBatch out = DatagramBatch.allocate(count, 256);
             DatagramBatch in = DatagramBatch.allocate(64, 256)) {
            for (int i = 0; i < count; i++) {
                byte[] msg = ("message " + i).getBytes();
                out.set(i, MemorySegment.ofArray(msg), server.localAddress());
            }
            assertEquals(count, client.send(out, 0, count), "one sendmmsg sends them all");
            awaitReadable(server);
            assertEquals(count, server.receive(in), "one recvmmsg receives them all");
            for (int i = 0; i < count; i++) {
                assertEquals("message " + i, new String(in.message(i).toArray(ValueLayout.JAVA_BYTE)));
                assertEquals(client.localAddress(), in.sender(i));
                assertFalse(in.truncated(i));
            }
            assertEquals(Descriptor.WOULD_BLOCK, server.receive(in));
            // Echo: the received slots go back to their senders as they are.
            assertEquals(count, server.send(in, 0, count));
            awaitReadable(client);
            int back = client.receive(in);
            assertEquals(count, back);
            assertEquals("message 31", new String(in.message(31).toArray(ValueLayout.JAVA_BYTE)));
            assertEquals(server.localAddress(), in.sender(0));
        }
    }

    @Test
    void aBatchSlotReportsTruncation() throws Exception {
        try (UdpSocket server = UdpSocket.bind(LOOPBACK4); UdpSocket client = UdpSocket.open(StandardProtocolFamily.INET);
             DatagramBatch in = DatagramBatch.allocate(4, 8)) {
            client.send(new byte[20], 0, 20, server.localAddress());
            awaitReadable(server);
            assertEquals(1, server.receive(in));
            assertTrue(in.truncated(0));
            assertEquals(8, in.length(0));
            assertThrows(IllegalArgumentException.class, () -> in.set(0, MemorySegment.ofArray(new byte[9]), null));
        }
    }

    @Test
    void dualStackUdpSocketSendsToIpv4TargetsSinglyAndInBatches() throws Exception {
        try (UdpSocket v4 = UdpSocket.bind(LOOPBACK4);
             UdpSocket v6 = UdpSocket.bind(new InetSocketAddress("::", 0), Option.IPV6_V6ONLY.of(false));
             DatagramBatch batch = DatagramBatch.allocate(2, 64)) {
            assertEquals(3, v6.send(new byte[] {1, 2, 3}, 0, 3, v4.localAddress()));
            batch.set(0, MemorySegment.ofArray(new byte[] {4}), v4.localAddress());
            batch.set(1, MemorySegment.ofArray(new byte[] {5, 6}), v4.localAddress());
            assertEquals(2, v6.send(batch, 0, 2));
            awaitReadable(v4);
            byte[] buf = new byte[8];
            assertEquals(3, v4.receive(buf, 0, 8));
            assertInstanceOf(Inet4Address.class, ((InetSocketAddress) v4.sender()).getAddress());
            assertEquals(v6.localAddress().getPort(), ((InetSocketAddress) v4.sender()).getPort());
            assertEquals(1, v4.receive(buf, 0, 8));
            assertEquals(2, v4.receive(buf, 0, 8));
            // And the reply goes back through the v4-mapped address.
            assertEquals(2, v4.reply(MemorySegment.ofArray(new byte[] {7, 8})));
            awaitReadable(v6);
            assertEquals(2, v6.receive(buf, 0, 8));
        }
    }

    @Test
    void connectedUdpReadsAndWritesAndHearsRefusal() throws Exception {
        int deadPort;
        try (UdpSocket gone = UdpSocket.bind(LOOPBACK4)) {
            deadPort = gone.localAddress().getPort();
        }
        try (UdpSocket server = UdpSocket.bind(LOOPBACK4); UdpSocket client = UdpSocket.open(StandardProtocolFamily.INET);
             UdpSocket lonely = UdpSocket.open(StandardProtocolFamily.INET); Arena arena = Arena.ofConfined()) {
            client.connect(server.localAddress());
            assertEquals(server.localAddress(), client.peerAddress());
            assertEquals(2, client.write(arena.allocate(2)));
            awaitReadable(server);
            assertEquals(2, server.read(arena.allocate(8)));
            // A datagram to a closed port draws an ICMP refusal, reported on the next call.
            lonely.connect(new InetSocketAddress("127.0.0.1", deadPort));
            lonely.write(arena.allocate(1));
            NativeIOException e = assertThrows(NativeIOException.class, () -> {
                for (int i = 0; i < 100; i++) {
                    lonely.read(arena.allocate(1));
                    Thread.sleep(5);
                }
            });
            assertEquals(Errors.ECONNREFUSED, e.errno());
        }
    }

    @Test
    void udpWindowedTransferOfEightMebibytesIsExactUnderEdgeTriggeredEpoll() throws Exception {
        datagramTransfer(UdpSocket.bind(LOOPBACK4, Option.SO_SNDBUF.of(16 * 1024)), UdpSocket.bind(LOOPBACK4), true);
    }

    @Test
    void unixDatagramTransferOfEightMebibytesIsExactUnderEdgeTriggeredEpoll() throws Exception {
        UnixDatagram[] p = UnixDatagram.pair();
        p[0].setOption(Option.SO_SNDBUF, 16 * 1024);
        datagramTransfer(p[0], p[1], false);
    }

    /**
     * Sends 8 MiB as 8 KiB datagrams, each numbered and filled from the pattern, draining with
     * ET. UDP drops on a full receive buffer, so the UDP run keeps a window of 8 in flight;
     * Unix datagrams block the sender instead, so that run just fills until WOULD_BLOCK.
     */
    static void datagramTransfer(DatagramSocket sender, DatagramSocket receiver, boolean windowed) throws Exception {
        int size = 8192;
        int total = (8 << 20) / size;
        try (sender; receiver; Arena arena = Arena.ofConfined(); Epoll epoll = Epoll.open();
             EventArray events = EventArray.allocate(4)) {
            if (windowed) sender.connect(receiver.localAddress());
            MemorySegment pattern = Pump.pattern(arena, (long) total * size);
            MemorySegment buf = arena.allocate(size + 1);
            epoll.add(sender, Interest.of(Interest.OUT, Interest.ET), 0);
            epoll.add(receiver, Interest.of(Interest.IN, Interest.ET), 1);
            int sent = 0, received = 0, waits = 0;
            long deadline = System.nanoTime() + 15_000_000_000L;
            while (received < total) {
                if (System.nanoTime() > deadline) fail("stalled at " + received + "/" + total);
                while (sent < total && (!windowed || sent - received < 8)) {
                    int n = sender.write(pattern.asSlice((long) sent * size, size));
                    if (n == Descriptor.WOULD_BLOCK) break;
                    assertEquals(size, n, "a datagram goes whole or not at all");
                    sent++;
                }
                epoll.wait(events, 1000);
                waits++;
                for (;;) {
                    int n = receiver.read(buf);
                    if (n == Descriptor.WOULD_BLOCK) break;
                    assertEquals(size, n, "datagram " + received + " changed size");
                    assertEquals(-1, buf.asSlice(0, size).mismatch(pattern.asSlice((long) received * size, size)),
                            "datagram " + received + " differs or arrived out of order");
                    received++;
                }
            }
            assertEquals(total, sent);
            assertTrue(waits > 10, "only " + waits + " waits");
        }
    }

    @Test
    void unixDatagramBoundToAPathRemovesItsFileAndAnswersBoundSenders() throws Exception {
        Path serverPath = dir.resolve("srv.sock");
        Path clientPath = dir.resolve("cli.sock");
        try (UnixDatagram server = UnixDatagram.bind(UnixDomainSocketAddress.of(serverPath));
             UnixDatagram client = UnixDatagram.bind(UnixDomainSocketAddress.of(clientPath));
             DatagramBatch batch = DatagramBatch.allocate(8, 64)) {
            assertTrue(Files.exists(serverPath));
            for (int i = 0; i < 5; i++) batch.set(i, MemorySegment.ofArray(new byte[i + 1]), UnixDomainSocketAddress.of(serverPath));
            assertEquals(5, client.send(batch, 0, 5));
            assertEquals(5, server.receive(batch));
            for (int i = 0; i < 5; i++) {
                assertEquals(i + 1, batch.length(i));
                assertEquals(UnixDomainSocketAddress.of(clientPath), batch.sender(i));
            }
            assertEquals(5, server.send(batch, 0, 5));
            byte[] in = new byte[16];
            assertEquals(1, client.receive(in, 0, 16));
            assertEquals(UnixDomainSocketAddress.of(serverPath), client.sender());
        }
        assertFalse(Files.exists(serverPath));
        assertFalse(Files.exists(clientPath));
    }

    @Test
    void unixDatagramAbstractNamesAndDescriptorPassing() throws Exception {
        AbstractName name = UnixStreamTest.uniqueName();
        try (UnixDatagram server = UnixDatagram.bind(name); UnixDatagram client = UnixDatagram.open();
             Pipe pipe = Pipe.open(); Arena arena = Arena.ofConfined()) {
            assertEquals(name, server.localAddress());
            client.connect(name);
            assertEquals(0, client.sendDescriptors(MemorySegment.NULL, pipe.sink()), "a datagram may carry only descriptors");
            List<ReceivedDescriptor> fds = new ArrayList<>();
            assertEquals(0, server.receiveDescriptors(arena.allocate(8), fds));
            assertEquals(1, fds.size());
            try (ReceivedDescriptor sink = fds.get(0)) {
                SocketAssertions.assertCloexecNonblock(sink);
                assertEquals(1, sink.write(arena.allocate(1)));
            }
            assertEquals(1, pipe.source().read(arena.allocate(4)));
            assertEquals(UnixStreamTest.effectiveUidGid()[0], UnixDatagram.pair()[0].peerCredentials().uid());
        }
    }

    @Test
    void everyDatagramSocketIsCloexecAndNonblocking() throws Exception {
        UnixDatagram[] pair = UnixDatagram.pair();
        try (UdpSocket a = UdpSocket.bind(LOOPBACK4); UdpSocket b = UdpSocket.open(StandardProtocolFamily.INET6);
             UnixDatagram c = UnixDatagram.open(); UnixDatagram d = UnixDatagram.bind(UnixStreamTest.uniqueName());
             UnixDatagram e = pair[0]; UnixDatagram f = pair[1]) {
            for (Descriptor x : new Descriptor[] {a, b, c, d, e, f}) SocketAssertions.assertCloexecNonblock(x);
        }
    }
}
