package io.ffmepoll.reactor;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UnixUdpAndClientTest {

    @Test
    void unixListenerServesSeveralClientsAtOnceAcrossLoops() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            Path dir = Files.createTempDirectory("ffm-reactor");
            Path path = dir.resolve("echo.sock");
            try (Reactor r = Net.small().build();
                 Listener l = r.listen(UnixDomainSocketAddress.of(path), Echo::new)) {
                List<SocketChannel> clients = new ArrayList<>();
                try {
                    for (int i = 0; i < 20; i++) clients.add(SocketChannel.open(UnixDomainSocketAddress.of(path)));
                    byte[][] sent = new byte[clients.size()][];
                    for (int i = 0; i < clients.size(); i++) {
                        sent[i] = Net.random(100_000 + i, i);
                        ByteBuffer b = ByteBuffer.wrap(sent[i]);
                        while (b.hasRemaining()) clients.get(i).write(b);
                    }
                    for (int i = 0; i < clients.size(); i++) {
                        ByteBuffer b = ByteBuffer.allocate(sent[i].length);
                        while (b.hasRemaining()) assertTrue(clients.get(i).read(b) >= 0, "EOF");
                        assertArrayEquals(sent[i], b.array());
                    }
                    long accepted = r.counters().stream().mapToLong(LoopCounters::accepted).sum();
                    assertEquals(20, accepted);
                } finally {
                    for (SocketChannel c : clients) c.close();
                }
            } finally {
                Files.deleteIfExists(path);
                Files.deleteIfExists(dir);
            }
        });
    }

    @Test
    void udpEndpointEchoesDatagramsToTheirSenders() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            try (Reactor r = Net.small().build();
                 Listener l = r.bindUdp(new InetSocketAddress("127.0.0.1", 0), () -> (ep, data, from) -> ep.send(data, from))) {
                for (int k = 0; k < 3; k++) {
                    try (DatagramSocket d = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
                        d.setSoTimeout(5000);
                        for (int i = 0; i < 50; i++) {
                            byte[] msg = ("datagram " + k + "/" + i).getBytes();
                            d.send(new DatagramPacket(msg, msg.length, new InetSocketAddress("127.0.0.1", l.port())));
                            DatagramPacket p = new DatagramPacket(new byte[100], 100);
                            d.receive(p);
                            assertArrayEquals(msg, Arrays.copyOf(p.getData(), p.getLength()));
                        }
                    }
                }
            }
        });
    }

    @Test
    void clientConnectCompletesOnEstablishmentAndFailsOnRefusal() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            try (Reactor r = Net.small().build();
                 Listener echo = r.listen(new InetSocketAddress("127.0.0.1", 0), Echo::new)) {
                CompletableFuture<byte[]> reply = new CompletableFuture<>();
                Handler client = new Handler() {
                    @Override
                    public void onOpen(Connection c) {
                        c.write("hello".getBytes());
                    }

                    @Override
                    public void onRead(Connection c, MemorySegment data) {
                        reply.complete(data.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
                        c.close();
                    }
                };
                Connection c = r.connect(new InetSocketAddress("127.0.0.1", echo.port()), client).get(5, TimeUnit.SECONDS);
                assertTrue(c != null);
                assertArrayEquals("hello".getBytes(), reply.get(5, TimeUnit.SECONDS));

                int closedPort;
                try (ServerSocket ss = new ServerSocket(0)) {
                    closedPort = ss.getLocalPort();
                }
                ExecutionException e = assertThrows(ExecutionException.class, () -> r.connect(
                        new InetSocketAddress("127.0.0.1", closedPort), client).get(5, TimeUnit.SECONDS));
                assertTrue(e.getCause().getMessage().contains("ECONNREFUSED"), e.getCause().toString());
            }
        });
    }
}
