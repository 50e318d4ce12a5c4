package io.ffmepoll.reactor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A burst of connections arriving while the loop cannot accept (a cold JVM interpreting and
 * compiling its accept path, a slow handler, a collection) waits in the kernel's accept queue.
 * Once that queue is full the kernel drops the client's SYN (TcpExtListenOverflows), and the
 * client connects only after a retransmit a second or more later.
 */
class AcceptStormTest {

    /** More than the 1,024 the reactor once asked for, well under the usual somaxconn (4,096). */
    private static final int BURST = 1_500;

    @Test
    @Timeout(60)
    void aBusyLoopDropsNoSynOfAStormTheKernelCouldQueue() throws Exception {
        int somaxconn;
        try (var in = Files.newInputStream(Path.of("/proc/sys/net/core/somaxconn"))) {
            // Read to the end: a /proc file reports size 0, which short-cuts Files.readString.
            somaxconn = Integer.parseInt(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).trim());
        }
        assumeTrue(somaxconn >= BURST, "net.core.somaxconn " + somaxconn + " cannot queue the burst");
        CountDownLatch busy = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<SocketChannel> clients = new ArrayList<>();
        try (Reactor reactor = Reactor.builder().loops(1).threadName("storm-loop").build();
             Listener l = reactor.listen(new InetSocketAddress("127.0.0.1", 0), Echo::new);
             Selector selector = Selector.open()) {
            EventLoop loop = reactor.loops().get(0);
            // The loop is held, as a cold or stalled loop would be: nothing is accepted meanwhile,
            // so every connection of the burst has to wait in the accept queue.
            loop.execute(() -> {
                busy.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            assertTrue(busy.await(10, TimeUnit.SECONDS));
            InetSocketAddress server = new InetSocketAddress("127.0.0.1", l.port());
            for (int i = 0; i < BURST; i++) {
                SocketChannel ch = SocketChannel.open();
                clients.add(ch);
                ch.configureBlocking(false);
                if (!ch.connect(server)) ch.register(selector, SelectionKey.OP_CONNECT, ch);
            }
            // On loopback the handshake completes within the connect call unless the SYN is
            // dropped, so any connection still pending after this bounded wait lost its SYN to a
            // full queue (its retransmit would be dropped too while the loop is held).
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            while (!selector.keys().isEmpty() && System.nanoTime() < deadline) {
                selector.select(key -> {
                    try {
                        if (((SocketChannel) key.attachment()).finishConnect()) key.cancel();
                    } catch (IOException e) {
                        key.cancel();
                    }
                }, 100);
                selector.selectNow();   // flush the cancelled keys
            }
            int pending = 0;
            for (SocketChannel ch : clients) if (!ch.isConnected()) pending++;
            release.countDown();
            assertEquals(0, pending, pending + " of " + BURST + " connects lost their SYN to a full accept queue");
            // And the loop, free again, takes them all.
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (reactor.counters().get(0).accepted() < BURST && System.nanoTime() < until) Thread.sleep(10);
            assertEquals(BURST, reactor.counters().get(0).accepted());
        } finally {
            release.countDown();
            for (SocketChannel ch : clients) ch.close();
        }
    }
}
