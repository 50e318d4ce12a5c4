package io.ffmepoll.reactor;

import org.junit.jupiter.api.Test;

import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the loop pays in events and wake-ups for a connection that never backs up. A socket with
 * room in its send buffer is writable from the start, and an AF_UNIX socket reports writable
 * again each time the peer reads (unix_write_space runs on every skb the peer consumes): watching
 * OUT before a write has met a full buffer costs an event per accept, and on AF_UNIX about one
 * more wake-up per message.
 */
class WakeUpCostTest {

    private static final int CONNECTIONS = 40;
    private static final int MESSAGES = 200;

    @Test
    void acceptDoesNotCostAnExtraWakeUp() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            try (Reactor r = Net.small().loops(1).build();
                 Listener l = r.listen(new java.net.InetSocketAddress("127.0.0.1", 0), Echo::new)) {
                EventLoop loop = r.loops().get(0);
                List<Socket> clients = new ArrayList<>();
                try {
                    LoopCounters before = loop.counters();
                    for (int i = 0; i < CONNECTIONS; i++) {
                        clients.add(Net.connect(l.port()));
                        // One accept per wake: wait until the loop has taken this one.
                        long deadline = System.nanoTime() + 5_000_000_000L;
                        while (loop.counters().accepted() - before.accepted() < i + 1) {
                            assertTrue(System.nanoTime() < deadline, "connection " + i + " not accepted in 5 s");
                            Thread.onSpinWait();
                        }
                    }
                    // An echo through the last connection: its IN event comes after every event
                    // the registrations made ready, so all of them are counted by now.
                    Socket last = clients.get(clients.size() - 1);
                    last.getOutputStream().write(new byte[] {42});
                    assertEquals(42, last.getInputStream().read());
                    LoopCounters after = loop.counters();
                    long events = after.events() - before.events();
                    // One listener event per accept, one IN event for the echo, and the wake-ups
                    // of other threads (none here, but tolerated): nothing for the registrations.
                    long wakes = after.wakeupsReceived() - before.wakeupsReceived();
                    assertTrue(events <= CONNECTIONS + 1 + wakes + 2, events + " events for " + CONNECTIONS
                            + " accepts and one echo: each registration cost an event of its own (" + after + ")");
                } finally {
                    for (Socket s : clients) s.close();
                }
            }
        });
    }

    @Test
    void unixPingPongCostsOneWakeUpPerMessage() throws Exception {
        withUnixEcho((loop, client) -> {
            ByteBuffer out = ByteBuffer.allocate(64), in = ByteBuffer.allocate(64);
            pingPong(client, out, in, 20);   // the accept and the first messages settle
            LoopCounters before = loop.counters();
            pingPong(client, out, in, MESSAGES);
            LoopCounters after = loop.counters();
            long waits = after.waits() - before.waits();
            long events = after.events() - before.events();
            // One wake-up per message, and a little slack for a spurious one.
            assertTrue(events <= MESSAGES + 4 && waits <= MESSAGES + 4, waits + " wake-ups and " + events
                    + " events for " + MESSAGES + " AF_UNIX ping-pongs: the peer's reads woke the loop too");
        });
    }

    /**
     * OUT is watched while output waits and dropped once the queue is empty: after the client
     * stalled the echo (the server queued and paused reading) and then took everything, the
     * ping-pong is back to one wake-up per message, and each episode cost two epoll_ctl calls.
     */
    @Test
    void unixPingPongCostsOneWakeUpPerMessageAgainAfterBackpressure() throws Exception {
        withUnixEcho((loop, client) -> {
            ByteBuffer out = ByteBuffer.allocate(64), in = ByteBuffer.allocate(64);
            pingPong(client, out, in, 5);
            LoopCounters start = loop.counters();
            // 4 MiB sent before a byte is read back: far more than both socket buffers.
            int total = 4 << 20;
            Thread writer = Thread.ofPlatform().start(() -> {
                ByteBuffer b = ByteBuffer.allocate(64 * 1024);
                try {
                    for (int sent = 0; sent < total; sent += b.capacity()) {
                        b.clear();
                        while (b.hasRemaining()) client.write(b);
                    }
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (loop.counters().epollCtls() == start.epollCtls()) {   // the server's echo met a full socket
                assertTrue(System.nanoTime() < deadline, "the echo never backed up: " + loop.counters());
                Thread.sleep(1);
            }
            ByteBuffer sink = ByteBuffer.allocate(64 * 1024);
            for (long got = 0; got < total; ) {
                sink.clear();
                int n = client.read(sink);
                if (n < 0) throw new AssertionError("EOF after " + got + " bytes");
                got += n;
            }
            writer.join();
            pingPong(client, out, in, 5);
            LoopCounters before = loop.counters();
            long ctls = before.epollCtls() - start.epollCtls();
            assertTrue(ctls >= 2 && ctls % 2 == 0, ctls + " epoll_ctl calls: each backpressure episode"
                    + " should cost two (watch OUT, then drop it): " + before);
            pingPong(client, out, in, MESSAGES);
            LoopCounters after = loop.counters();
            long waits = after.waits() - before.waits();
            assertTrue(waits <= MESSAGES + 4, waits + " wake-ups for " + MESSAGES
                    + " AF_UNIX ping-pongs after a backpressure episode: OUT is still watched");
        });
    }

    private interface UnixEchoTest {
        void run(EventLoop loop, SocketChannel client) throws Exception;
    }

    /** Runs {@code test} against an echo server on one loop, over a fresh AF_UNIX socket path. */
    private static void withUnixEcho(UnixEchoTest test) throws Exception {
        Path dir = Files.createTempDirectory("wakeups");
        Path path = dir.resolve("echo.sock");
        try {
            assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
                try (Reactor r = Net.small().loops(1).build();
                     Listener l = r.listen(UnixDomainSocketAddress.of(path), Echo::new);
                     SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                    client.connect(UnixDomainSocketAddress.of(path));
                    test.run(r.loops().get(0), client);
                }
            });
        } finally {
            Files.deleteIfExists(path);
            Files.deleteIfExists(dir);
        }
    }

    private static void pingPong(SocketChannel c, ByteBuffer out, ByteBuffer in, int count) throws Exception {
        for (int i = 0; i < count; i++) {
            out.clear();
            while (out.hasRemaining()) out.put((byte) i);
            out.flip();
            while (out.hasRemaining()) c.write(out);
            in.clear();
            while (in.hasRemaining()) {
                if (c.read(in) < 0) throw new AssertionError("EOF after " + i + " messages");
            }
            assertArrayEquals(out.array(), in.array(), "echo of message " + i);
            // A pause like a client's think time: a wake-up the read caused is not hidden in
            // the wake-up of the next message.
            LockSupport.parkNanos(200_000);
        }
    }
}
