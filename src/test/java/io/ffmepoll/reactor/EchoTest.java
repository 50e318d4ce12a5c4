package io.ffmepoll.reactor;

import io.ffmepoll.socket.Option;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EchoTest {

    /** Server-side socket buffers of a few KiB force partial writes and EAGAIN at every turn. */
    static class TinyBuffersEcho extends Echo {
        TinyBuffersEcho() {}

        TinyBuffersEcho(AtomicLong maxQueued) {
            super(maxQueued);
        }

        @Override
        public void onOpen(Connection c) {
            try {
                c.socket().setOption(Option.SO_SNDBUF, 4096);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    @Test
    void echoesFourMebibytesByteExactUnderPartialWrites() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            AtomicLong maxQueued = new AtomicLong();
            try (Reactor r = Net.small().watermarks(8 * 1024, 32 * 1024).writeChunkSize(4096).build();
                 Listener l = r.listen(new InetSocketAddress("127.0.0.1", 0), () -> new TinyBuffersEcho(maxQueued))) {
                byte[] data = Net.random(4 << 20, 1);
                try (Socket s = new Socket()) {
                    s.setSendBufferSize(4096);
                    s.setReceiveBufferSize(4096);
                    s.setTcpNoDelay(true);
                    s.connect(new InetSocketAddress("127.0.0.1", l.port()));
                    Thread writer = Thread.ofPlatform().start(() -> {
                        try {
                            OutputStream out = s.getOutputStream();
                            for (int off = 0; off < data.length; off += 7919) {   // odd sizes: unaligned chunks
                                out.write(data, off, Math.min(7919, data.length - off));
                            }
                        } catch (Exception e) {
                            throw new RuntimeException(e);
                        }
                    });
                    byte[] back = Net.readFully(s.getInputStream(), data.length);
                    writer.join();
                    assertArrayEquals(data, back);
                }
                // The loop counts a write just after it returns: the client may have read it first.
                long written = 0;
                for (int i = 0; i < 200 && written != data.length; i++) {
                    written = r.counters().stream().mapToLong(LoopCounters::bytesWritten).sum();
                    if (written != data.length) Thread.sleep(10);
                }
                assertEquals(data.length, written);
                assertTrue(maxQueued.get() > 0, "the socket never refused bytes: partial writes not exercised");
            }
        });
    }

    @Test
    void servesAThousandConcurrentConnections() {
        assertTimeoutPreemptively(Duration.ofSeconds(40), () -> {
            // One loop, so that all 1,000 become readable on it at once.
            try (Reactor r = Net.small().loops(1).build();
                 Listener l = r.listen(new InetSocketAddress("127.0.0.1", 0), Echo::new)) {
                List<SocketChannel> clients = new ArrayList<>();
                try {
                    for (int i = 0; i < 1000; i++) {
                        clients.add(SocketChannel.open(new InetSocketAddress("127.0.0.1", l.port())));
                    }
                    echoRound(clients, 0);
                    long open = r.counters().stream().mapToLong(LoopCounters::connections).sum();
                    assertEquals(1000, open);

                    // Hold the loop while every connection gets input, so that one wait finds all
                    // 1,000 ready: a 64-event array must grow, and the waits must use the larger
                    // array. (The OUT events of the first registrations may have grown it already;
                    // that alone proves neither.)
                    EventLoop loop = r.loops().get(0);
                    CountDownLatch held = new CountDownLatch(1), release = new CountDownLatch(1);
                    loop.execute(() -> {
                        held.countDown();
                        try {
                            release.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    });
                    held.await();
                    LoopCounters before = loop.counters();
                    for (int i = 0; i < clients.size(); i++) send(clients.get(i), i + 1000);
                    release.countDown();
                    for (int i = 0; i < clients.size(); i++) receive(clients.get(i), i + 1000);
                    LoopCounters after = loop.counters();
                    long waits = after.waits() - before.waits();
                    long events = after.events() - before.events();
                    assertTrue(events >= 1000, "1,000 readable connections reported in " + events + " events");
                    // No wait can return more events than the array it was given holds.
                    assertTrue(events > 64L * waits, events + " events in " + waits
                            + " waits: no wait returned more than 64, the grown array was not used");
                    assertTrue(after.eventCapacity() >= 1000, "event array " + after.eventCapacity()
                            + " after a wait found 1,000 ready: it did not keep growing");
                } finally {
                    for (SocketChannel c : clients) c.close();
                }
            }
        });
    }

    private static void echoRound(List<SocketChannel> clients, int base) throws IOException {
        for (int i = 0; i < clients.size(); i++) send(clients.get(i), base + i);
        for (int i = 0; i < clients.size(); i++) receive(clients.get(i), base + i);
    }

    private static void send(SocketChannel c, int value) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8).putInt(value).putInt(~value).flip();
        while (b.hasRemaining()) c.write(b);
    }

    private static void receive(SocketChannel c, int value) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8);
        while (b.hasRemaining()) {
            if (c.read(b) < 0) throw new AssertionError("EOF on client " + value);
        }
        b.flip();
        assertEquals(value, b.getInt());
        assertEquals(~value, b.getInt());
    }
}
