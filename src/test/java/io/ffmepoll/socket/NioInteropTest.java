package io.ffmepoll.socket;

import io.ffmepoll.epoll.Descriptor;
import io.ffmepoll.epoll.Epoll;
import io.ffmepoll.epoll.EventArray;
import io.ffmepoll.epoll.Interest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Our sockets against java.nio peers on the other side of real connections. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NioInteropTest {

    static final int SIZE = 1 << 20;

    @TempDir
    Path dir;

    static byte[] payload() {
        byte[] b = new byte[SIZE];
        for (int i = 0; i < SIZE; i++) b[i] = Pump.at(i);
        return b;
    }

    /** A blocking NIO peer: writes everything, half-closes, and returns all it read until EOF. */
    static byte[] nioSendAndCollect(SocketChannel ch, byte[] data) throws Exception {
        try (ch) {
            ExecutorService writer = Executors.newSingleThreadExecutor();
            try {
                Future<?> w = writer.submit(() -> {
                    ByteBuffer out = ByteBuffer.wrap(data);
                    while (out.hasRemaining()) ch.write(out);
                    ch.shutdownOutput();
                    return null;
                });
                ByteArrayOutputStream in = new ByteArrayOutputStream();
                ByteBuffer buf = ByteBuffer.allocate(7919);
                while (ch.read(buf.clear()) >= 0) in.write(buf.array(), 0, buf.position());
                w.get(10, TimeUnit.SECONDS);
                return in.toByteArray();
            } finally {
                writer.shutdownNow();
            }
        }
    }

    /** Our side: edge-triggered echo of everything until EOF, then half-close. */
    static void echoUntilEof(StreamSocket s) throws Exception {
        try (Arena arena = Arena.ofConfined(); Epoll epoll = Epoll.open(); EventArray events = EventArray.allocate(2)) {
            epoll.add(s, Pump.ET_ALL, 0);
            MemorySegment buf = arena.allocate(64 * 1024);
            long pending = 0;   // bytes read into buf[0, pending) not yet written back
            long written = 0;
            boolean eof = false;
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (!eof || written < pending) {
                if (System.nanoTime() > deadline) fail("echo stalled");
                boolean progress = false;
                while (written < pending) {
                    int n = s.write(buf.asSlice(written, pending - written));
                    if (n == Descriptor.WOULD_BLOCK) break;
                    written += n;
                    progress = true;
                }
                if (written == pending) { written = 0; pending = 0; }
                while (!eof && pending < buf.byteSize()) {
                    int n = s.read(buf.asSlice(pending));
                    if (n == Descriptor.WOULD_BLOCK) break;
                    if (n == Descriptor.EOF) { eof = true; break; }
                    pending += n;
                    progress = true;
                }
                if (!progress) epoll.wait(events, 1000);
            }
            s.shutdownOutput();
        }
    }

    @Test
    void nioClientTalksToOurTcpServer() throws Exception {
        try (TcpListener listener = TcpListener.bind(new InetSocketAddress("127.0.0.1", 0), 4)) {
            ExecutorService client = Executors.newSingleThreadExecutor();
            try {
                Future<byte[]> echoed = client.submit(() -> nioSendAndCollect(SocketChannel.open(listener.localAddress()), payload()));
                try (TcpStream s = acceptWithin(listener)) {
                    echoUntilEof(s);
                }
                assertArrayEquals(payload(), echoed.get(20, TimeUnit.SECONDS));
            } finally {
                client.shutdownNow();
            }
        }
    }

    @Test
    void nioClientTalksToOurUnixServer() throws Exception {
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(dir.resolve("nio.sock"));
        try (UnixListener listener = UnixListener.bind(address, 4)) {
            ExecutorService client = Executors.newSingleThreadExecutor();
            try {
                Future<byte[]> echoed = client.submit(() -> nioSendAndCollect(SocketChannel.open(address), payload()));
                try (UnixStream s = (UnixStream) acceptWithin(listener)) {
                    echoUntilEof(s);
                }
                assertArrayEquals(payload(), echoed.get(20, TimeUnit.SECONDS));
            } finally {
                client.shutdownNow();
            }
        }
    }

    static <S extends StreamSocket> S acceptWithin(StreamListener listener) throws Exception {
        try (Epoll epoll = Epoll.open(); EventArray events = EventArray.allocate(1)) {
            epoll.add(listener, Interest.IN, 0);
            for (int i = 0; i < 100; i++) {
                @SuppressWarnings("unchecked")
                S s = (S) listener.accept();
                if (s != null) return s;
                epoll.wait(events, 100);
            }
        }
        return fail("nobody connected");
    }

    @Test
    void ourTcpClientTalksToAnNioServer() throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
            ExecutorService peer = Executors.newSingleThreadExecutor();
            try {
                byte[] data = payload();
                // The NIO side echoes; we send, half-close, and collect the echo.
                Future<?> nio = peer.submit(() -> {
                    try (SocketChannel ch = server.accept()) {
                        ByteBuffer buf = ByteBuffer.allocate(4099);
                        while (ch.read(buf.clear()) >= 0) {
                            buf.flip();
                            while (buf.hasRemaining()) ch.write(buf);
                        }
                        ch.shutdownOutput();
                    }
                    return null;
                });
                InetSocketAddress target = (InetSocketAddress) server.getLocalAddress();
                try (TcpStream s = TcpStream.connect(target)) {
                    byte[] got = sendAllAndCollect(s, data);
                    assertArrayEquals(data, got);
                }
                nio.get(20, TimeUnit.SECONDS);
            } finally {
                peer.shutdownNow();
            }
        }
    }

    /** Our client side, ET: connect, write everything (heap byte[]), half-close, read to EOF. */
    static byte[] sendAllAndCollect(TcpStream s, byte[] data) throws Exception {
        try (Epoll epoll = Epoll.open(); EventArray events = EventArray.allocate(2)) {
            epoll.add(s, Pump.ET_ALL, 0);
            ByteArrayOutputStream in = new ByteArrayOutputStream();
            byte[] buf = new byte[5003];
            int sent = 0;
            boolean eof = false, shut = false;
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (!eof) {
                if (System.nanoTime() > deadline) fail("stalled: sent " + sent + ", got " + in.size());
                if (s.finishConnect()) {
                    while (sent < data.length) {
                        int n = s.write(data, sent, data.length - sent);
                        if (n == Descriptor.WOULD_BLOCK) break;
                        sent += n;
                    }
                    if (sent == data.length && !shut) {
                        s.shutdownOutput();
                        shut = true;
                    }
                    for (;;) {
                        int n = s.read(buf, 0, buf.length);
                        if (n == Descriptor.WOULD_BLOCK) break;
                        if (n == Descriptor.EOF) { eof = true; break; }
                        in.write(buf, 0, n);
                    }
                }
                if (!eof) epoll.wait(events, 1000);
            }
            return in.toByteArray();
        }
    }

    @Test
    void udpDatagramsCrossBetweenNioAndUs() throws Exception {
        try (DatagramChannel nio = DatagramChannel.open(StandardProtocolFamily.INET).bind(new InetSocketAddress("127.0.0.1", 0));
             UdpSocket ours = UdpSocket.bind(new InetSocketAddress("127.0.0.1", 0));
             Arena arena = Arena.ofConfined()) {
            nio.send(ByteBuffer.wrap("from nio".getBytes()), ours.localAddress());
            DatagramTest.awaitReadable(ours);
            MemorySegment buf = arena.allocate(64);
            int n = ours.receive(buf);
            assertEquals("from nio", new String(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE)));
            assertEquals(nio.getLocalAddress(), ours.sender());
            ours.reply(MemorySegment.ofArray("from us".getBytes()));
            ByteBuffer back = ByteBuffer.allocate(64);
            SocketAddress from = nio.receive(back);   // blocking; the datagram is already queued
            assertEquals(ours.localAddress(), from);
            assertEquals("from us", new String(back.array(), 0, back.position()));
            assertTrue(ours.isOpen());
        }
    }
}
