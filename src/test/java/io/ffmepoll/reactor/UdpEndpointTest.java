package io.ffmepoll.reactor;

import io.ffmepoll.epoll.Errors;
import io.ffmepoll.epoll.Seccomp;
import io.ffmepoll.socket.UdpSocket;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.foreign.MemorySegment;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A reactor's UDP endpoint under errors, oversized datagrams, failing handlers and load. */
class UdpEndpointTest {

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** Sends {@code n} datagrams of {@code size} bytes to {@code port} on 127.0.0.1. */
    private static void send(DatagramSocket d, int port, int n, int size) throws Exception {
        for (int i = 0; i < n; i++) {
            d.send(new DatagramPacket(new byte[size], size, new InetSocketAddress("127.0.0.1", port)));
        }
    }

    private static void await(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what);
            Thread.sleep(5);
        }
    }

    /**
     * recvmmsg failing on every call (a seccomp filter on the loop thread answers EPERM, as a
     * persistent error would) must not keep the loop in the endpoint: each error used to
     * {@code continue} without spending budget.
     */
    @Test
    void aPersistentReceiveErrorDoesNotSpinTheLoop() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            AtomicReference<DatagramEndpoint> endpoint = new AtomicReference<>();
            try (Reactor r = Net.small().loops(1).build();
                 Listener l = r.bindUdp(new InetSocketAddress("127.0.0.1", 0), () -> (ep, data, from) -> endpoint.set(ep));
                 DatagramSocket client = new DatagramSocket()) {
                EventLoop loop = r.loops().get(0);
                long loopThread = loop.submit(() -> {
                    Seccomp.deny(Seccomp.recvmmsgNumber(), Errors.EPERM);
                    return Thread.currentThread().threadId();
                }).get(5, TimeUnit.SECONDS);
                send(client, l.port(), 1, 10);
                Thread.sleep(200);                              // the edge arrives, receive fails
                long cpu0 = THREADS.getThreadCpuTime(loopThread);
                Thread.sleep(500);
                long cpu = THREADS.getThreadCpuTime(loopThread) - cpu0;
                assertTrue(loop.submit(() -> true).get(5, TimeUnit.SECONDS), "the loop still runs tasks");
                assertTrue(cpu < 100_000_000, "the loop used " + cpu / 1_000_000 + " ms of CPU in 500 ms: spinning");
            }
        });
    }

    /**
     * recvmmsg returns fewer datagrams than asked only when a receive inside it failed: EAGAIN
     * (the queue was empty) or an error it saves for the next call. Either way another call
     * before the next edge finds nothing, so a short batch ends the endpoint's turn.
     */
    @Test
    void aShortBatchDoesNotCallRecvmmsgAgain() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            AtomicInteger received = new AtomicInteger();
            AtomicReference<DatagramEndpoint> endpoint = new AtomicReference<>();
            try (Reactor r = Net.small().loops(1).build();
                 Listener l = r.bindUdp(new InetSocketAddress("127.0.0.1", 0), () -> (ep, data, from) -> {
                     endpoint.set(ep);
                     received.incrementAndGet();
                 });
                 DatagramSocket client = new DatagramSocket()) {
                EventLoop loop = r.loops().get(0);
                send(client, l.port(), 1, 10);
                await(() -> received.get() == 1, "the first datagram");
                long before = loop.submit(() -> endpoint.get().receiveCalls()).get();
                CountDownLatch hold = new CountDownLatch(1);
                CountDownLatch held = new CountDownLatch(1);
                loop.execute(() -> {
                    held.countDown();
                    try {
                        hold.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                assertTrue(held.await(10, TimeUnit.SECONDS), "the loop was not held");
                send(client, l.port(), 5, 10);                 // queued while the loop is held
                hold.countDown();
                await(() -> received.get() == 6, "five more datagrams");
                long calls = loop.submit(() -> endpoint.get().receiveCalls()).get() - before;
                assertEquals(1, calls, "recvmmsg calls for one batch of 5 (of 32 slots)");
            }
        });
    }

    /** The largest UDP payload over IPv6 (65,527 bytes) arrives whole, not cut to IPv4's 65,507. */
    @Test
    void ipv6DatagramsOfTheLargestSizeArriveWhole() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            CompletableFuture<Long> length = new CompletableFuture<>();
            try (Reactor r = Net.small().loops(1).build();
                 Listener l = r.bindUdp(new InetSocketAddress("::1", 0), () -> (ep, data, from) -> length.complete(data.byteSize()));
                 DatagramSocket client = new DatagramSocket(new InetSocketAddress("::1", 0))) {
                client.setSendBufferSize(1 << 20);
                client.send(new DatagramPacket(new byte[65_527], 65_527, new InetSocketAddress("::1", l.port())));
                assertEquals(65_527, length.get(10, TimeUnit.SECONDS));
            }
        });
    }

    /** A datagram longer than the endpoint's slots is dropped and counted, never handed on cut short. */
    @Test
    void datagramsLongerThanTheSlotsAreDroppedAndCountedNotDeliveredCut() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            AtomicInteger delivered = new AtomicInteger();
            AtomicReference<Long> lastLength = new AtomicReference<>();
            try (Reactor r = Net.small().loops(1).build(); DatagramSocket client = new DatagramSocket()) {
                EventLoop loop = r.loops().get(0);
                UdpSocket socket = UdpSocket.bind(new InetSocketAddress("127.0.0.1", 0));
                int port = socket.localAddress().getPort();
                DatagramEndpoint ep = new DatagramEndpoint(loop, socket, (e, data, from) -> {
                    delivered.incrementAndGet();
                    lastLength.set(data.byteSize());
                }, 100);
                loop.submit(() -> {
                    ep.start();
                    return null;
                }).get(5, TimeUnit.SECONDS);
                try {
                    send(client, port, 1, 200);
                    send(client, port, 1, 100);
                    await(() -> Long.valueOf(100).equals(lastLength.get()), "the datagram that fits");
                    assertEquals(1, delivered.get(), "only the datagram that fits was handed on");
                    assertEquals(1L, loop.submit(ep::truncated).get(), "the 200-byte datagram was dropped and counted");
                } finally {
                    loop.submit(() -> {
                        ep.stop();
                        return null;
                    }).get(5, TimeUnit.SECONDS);
                }
            }
        });
    }

    /** A handler that throws on every datagram logs one WARNING per endpoint, not one per datagram. */
    @Test
    void aThrowingHandlerLogsOneWarningNotOnePerDatagram() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            AtomicInteger warnings = new AtomicInteger();
            Handler capture = new Handler() {
                @Override
                public void publish(LogRecord record) {
                    if (record.getLevel().intValue() >= Level.WARNING.intValue()) warnings.incrementAndGet();
                }

                @Override
                public void flush() {
                }

                @Override
                public void close() {
                }
            };
            Logger logger = Logger.getLogger("io.ffmepoll.reactor");
            logger.addHandler(capture);
            try (Reactor r = Net.small().loops(1).build();
                 Listener l = r.bindUdp(new InetSocketAddress("127.0.0.1", 0), () -> (ep, data, from) -> {
                     throw new IllegalStateException("handler bug");
                 });
                 DatagramSocket client = new DatagramSocket()) {
                send(client, l.port(), 100, 10);
                await(() -> r.counters().get(0).handlerFailures() == 100, "100 handler failures");
                assertEquals(1, warnings.get(), "WARNING records for 100 failures");
            } finally {
                logger.removeHandler(capture);
            }
        });
    }

    /**
     * An echoing endpoint allocates nothing per datagram in steady state: no sender address
     * decoded anew, no slice per message, no address copy per reply.
     */
    @Test
    void udpEchoAllocatesNothingPerDatagram() {
        assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
            try (Reactor r = Net.small().loops(1).build();
                 Listener l = r.bindUdp(new InetSocketAddress("127.0.0.1", 0), () -> (ep, data, from) -> ep.send(data, from));
                 DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
                client.setSoTimeout(5000);
                long loopThread = r.loops().get(0).submit(() -> Thread.currentThread().threadId()).get();
                SocketAddress target = new InetSocketAddress("127.0.0.1", l.port());
                DatagramPacket out = new DatagramPacket(new byte[64], 64, target);
                DatagramPacket in = new DatagramPacket(new byte[64], 64);
                int perRound = 10_000;
                double best = Double.MAX_VALUE;
                // Under load the JIT compiles late: go on past 8 rounds, for up to 40 s, until a
                // round allocates nothing (a real allocation per datagram never gets there).
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
                for (int round = 0; (round < 8 || System.nanoTime() - deadline < 0) && best > 0; round++) {
                    long before = THREADS.getThreadAllocatedBytes(loopThread);
                    for (int i = 0; i < perRound; i++) {
                        client.send(out);
                        client.receive(in);
                    }
                    long after = THREADS.getThreadAllocatedBytes(loopThread);
                    best = Math.min(best, (double) (after - before) / perRound);
                }
                assertTrue(best < 1.0, best + " bytes allocated by the loop per echoed datagram");
            }
        });
    }
}
