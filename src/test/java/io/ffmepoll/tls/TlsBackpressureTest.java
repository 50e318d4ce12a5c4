package io.ffmepoll.tls;

import io.ffmepoll.reactor.Listener;
import io.ffmepoll.reactor.Net;
import io.ffmepoll.reactor.Reactor;
import io.ffmepoll.socket.Option;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The reactor's watermarks, seen through the engine: the plaintext handler is paced by the ciphertext queue. */
class TlsBackpressureTest {

    static final int LOW = 8 * 1024, HIGH = 32 * 1024;

    @Test
    void echoHandlerSeesWritabilityAndTheQueueStaysWithinOneRecordOfTheHighWatermark() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            TestCerts certs = TestCerts.get();
            Tls tls = Tls.server(certs.serverContext()).build();
            Recorder server = new Recorder(true) {
                @Override
                public void onOpen(TlsConnection c) {
                    super.onOpen(c);
                    try {
                        c.connection().socket().setOption(Option.SO_SNDBUF, 4096);   // the socket refuses early
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
            };
            try (Reactor r = Reactor.builder().loops(1).watermarks(LOW, HIGH).threadName("tls-bp").build();
                 Listener l = r.listen(new InetSocketAddress("127.0.0.1", 0), tls.handlers(() -> server));
                 SSLSocket s = (SSLSocket) certs.clientContext().getSocketFactory().createSocket()) {
                s.setReceiveBufferSize(8192);
                s.connect(new InetSocketAddress("127.0.0.1", l.port()), 5000);
                s.setSoTimeout(10_000);   // a connection never writable again stalls here
                byte[] data = new byte[4 << 20];
                new Random(3).nextBytes(data);
                Thread writer = Thread.ofPlatform().start(() -> {
                    try {
                        OutputStream out = s.getOutputStream();
                        for (int off = 0; off < data.length; off += 5003) out.write(data, off, Math.min(5003, data.length - off));
                    } catch (Exception e) {
                        // the reader's assertion reports it
                    }
                });
                byte[] back = Net.readFully(s.getInputStream(), data.length);
                writer.join();
                assertArrayEquals(data, back);
                assertTrue(server.unwritable > 0, "the handler never saw the connection unwritable");
                int record = s.getSession().getPacketBufferSize();
                assertTrue(server.maxQueued.get() > HIGH, "the queue never passed the high watermark");
                assertTrue(server.maxQueued.get() <= HIGH + record,
                        "queued " + server.maxQueued.get() + " bytes: more than one record over the high watermark");
            }
        });
    }

    @Test
    void actionsOffTheLoopThreadAreRefused() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            TestCerts certs = TestCerts.get();
            Tls tls = Tls.server(certs.serverContext()).build();
            CompletableFuture<TlsConnection> open = new CompletableFuture<>();
            try (Reactor r = Reactor.builder().loops(1).threadName("tls-threads").build();
                 Listener l = r.listen(new InetSocketAddress("127.0.0.1", 0), tls.handlers(() -> new TlsHandler() {
                     public void onOpen(TlsConnection c) {
                         open.complete(c);
                     }

                     public void onRead(TlsConnection c, MemorySegment data) {}
                 }));
                 SSLSocket s = (SSLSocket) certs.clientContext().getSocketFactory().createSocket("127.0.0.1", l.port())) {
                s.startHandshake();
                TlsConnection c = open.get(5, TimeUnit.SECONDS);
                assertInstanceOf(IllegalStateException.class, assertThrows(IllegalStateException.class, () -> c.write(new byte[1])));
                assertThrows(IllegalStateException.class, c::close);
                assertTrue(c.isOpen() && c.isHandshakeDone() && c.isWritable(), "getters work from any thread");
                c.loop().submit(() -> c.write(new byte[] {5})).get(5, TimeUnit.SECONDS);
                s.setSoTimeout(5000);
                assertTrue(s.getInputStream().read() == 5, "a write handed to the loop");
            }
        });
    }
}
