package io.ffmepoll.reactor;

import io.ffmepoll.epoll.EventFd;
import io.ffmepoll.internal.gen.Linux;
import io.ffmepoll.internal.sys.Sys;
import io.ffmepoll.socket.StreamSocket;
import io.ffmepoll.socket.TcpListener;
import io.ffmepoll.socket.TcpStream;
import io.ffmepoll.socket.UnixStream;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * A read shorter than the buffer does not always mean the receive queue is empty: the kernel
 * stops a stream read at boundaries while more input waits behind them, and no new edge will
 * announce that input. Each test queues "AAAA", a boundary, then "CCCC" before the connection is
 * registered, so that the first read stops at the boundary; the handler must still get "CCCC".
 */
class LostEdgeTest {

    /** {@code MSG_OOB} and {@code SO_PASSCRED} (asm-generic/socket.h, x86-64 and arm64). */
    private static final int MSG_OOB = 0x1, SO_PASSCRED = 16;

    /** Collects input until {@code expected} bytes arrived. */
    static final class Collect implements Handler {
        final int expected;
        final ByteArrayOutputStream got = new ByteArrayOutputStream();
        final CompletableFuture<String> all = new CompletableFuture<>();

        Collect(int expected) {
            this.expected = expected;
        }

        @Override
        public void onRead(Connection c, MemorySegment data) {
            got.writeBytes(data.toArray(ValueLayout.JAVA_BYTE));
            if (got.size() >= expected) all.complete(got.toString(StandardCharsets.ISO_8859_1));
        }

        /** What arrived within a bounded wait; on timeout, what had arrived by then. */
        String await(Connection c) throws Exception {
            try {
                return all.get(3, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                return c.loop().submit(() -> got.toString(StandardCharsets.ISO_8859_1)).get(5, TimeUnit.SECONDS);
            }
        }
    }

    private static MemorySegment ascii(String s) {
        return MemorySegment.ofArray(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Sends one byte with flags through the raw descriptor (the socket layer has no MSG_OOB). */
    private static void sendRaw(StreamSocket s, byte b, int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment one = a.allocate(1);
            one.set(ValueLayout.JAVA_BYTE, 0, b);
            long r = Sys.send(s.fd(), one, 1, flags | Linux.MSG_NOSIGNAL());
            if (r != 1) throw new IllegalStateException("send with flags " + flags + ": " + r);
        }
    }

    private static void setIntOption(StreamSocket s, int level, int name, int value) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ValueLayout.JAVA_INT);
            v.set(ValueLayout.JAVA_INT, 0, value);
            int r = Sys.setsockopt(s.fd(), level, name, v, 4);
            if (r != 0) throw new IllegalStateException("setsockopt " + name + ": " + r);
        }
    }

    @Test
    void tcpUrgentMarkDoesNotLoseTheRestOfTheInput() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            try (Reactor r = Net.small().loops(1).build();
                 TcpListener listener = TcpListener.bind(new InetSocketAddress("127.0.0.1", 0), 8);
                 Socket client = new Socket()) {
                client.setTcpNoDelay(true);   // three segments, sent at once
                client.connect(listener.localAddress());
                TcpStream server = null;
                for (int i = 0; i < 500 && server == null; i++) {
                    server = listener.accept();
                    if (server == null) Thread.sleep(10);
                }
                if (server == null) throw new AssertionError("connection not accepted");
                OutputStream out = client.getOutputStream();
                out.write("AAAA".getBytes(StandardCharsets.ISO_8859_1));
                client.sendUrgentData('B');    // recv stops at the urgent mark; 'B' itself is out of band
                out.write("CCCC".getBytes(StandardCharsets.ISO_8859_1));
                Collect h = new Collect(8);
                Connection c = r.register(server, h).get(5, TimeUnit.SECONDS);
                assertEquals("AAAACCCC", h.await(c), "input behind the urgent mark");
            }
        });
    }

    /** Queues input on a Unix pair before the reader is registered. */
    interface UnixInput {
        void queue(UnixStream reader, UnixStream peer) throws Exception;
    }

    /** Queues input with {@code input}, registers the reader, and expects all of it. */
    private static void assertUnixInputArrives(String boundary, UnixInput input) {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            try (Reactor r = Net.small().loops(1).build()) {
                UnixStream[] pair = UnixStream.pair();
                try (UnixStream peer = pair[1]) {
                    input.queue(pair[0], peer);
                    Collect h = new Collect(8);
                    Connection c = r.register(pair[0], h).get(5, TimeUnit.SECONDS);
                    assertEquals("AAAACCCC", h.await(c), "input behind " + boundary);
                }
            }
        });
    }

    @Test
    void unixScmRightsBoundaryDoesNotLoseTheRestOfTheInput() throws Exception {
        try (EventFd passed = EventFd.open()) {
            assertUnixInputArrives("an SCM_RIGHTS boundary", (reader, peer) -> {
                peer.sendDescriptors(ascii("AAAA"), passed);   // a read stops after the bytes that carry fds
                peer.write(ascii("CCCC"));
            });
        }
    }

    @Test
    void unixPasscredWriterBoundaryDoesNotLoseTheRestOfTheInput() {
        assertUnixInputArrives("a writer boundary", (reader, peer) -> {
            // With SO_PASSCRED a read never glues bytes whose recorded writers differ
            // (unix_skb_scm_eq). Bytes sent before the reader asked for credentials carry none,
            // those after carry the sender's: that is such a boundary.
            peer.write(ascii("AAAA"));
            setIntOption(reader, Linux.SOL_SOCKET(), SO_PASSCRED, 1);
            peer.write(ascii("CCCC"));
        });
    }

    @Test
    void unixOobMarkDoesNotLoseTheRestOfTheInput() {
        assertUnixInputArrives("the OOB mark", (reader, peer) -> {
            peer.write(ascii("AAAA"));
            sendRaw(peer, (byte) 'B', MSG_OOB);   // a read stops at the OOB mark
            peer.write(ascii("CCCC"));
        });
    }
}
