package io.ffmepoll.tls;

import io.ffmepoll.reactor.Listener;
import io.ffmepoll.reactor.Net;
import io.ffmepoll.reactor.Reactor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Peers that break the protocol, stop halfway or crawl: each ends with a clear error to the
 * handler and a closed connection, within a bounded time.
 */
class TlsFailureTest {

    static Reactor reactor;
    static TestCerts certs;

    @BeforeAll
    static void start() throws Exception {
        certs = TestCerts.get();
        reactor = Reactor.builder().loops(1).threadName("tls-fail").linger(Duration.ofMillis(200))
                .closeGrace(Duration.ofSeconds(2)).build();
    }

    @AfterAll
    static void stop() {
        reactor.close();
    }

    static Socket raw(int port) throws Exception {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        s.setSoTimeout(5_000);
        s.setTcpNoDelay(true);
        return s;
    }

    @Test
    void finWithoutCloseNotifyIsReportedAsTruncation() {
        assertTimeoutPreemptively(Duration.ofSeconds(15), () -> {
            Tls tls = Tls.server(certs.serverContext()).build();
            Recorder server = new Recorder(true);
            try (Listener l = reactor.listen(new InetSocketAddress("127.0.0.1", 0), tls.handlers(() -> server));
                 Socket plain = raw(l.port());
                 SSLSocket s = (SSLSocket) certs.clientContext().getSocketFactory()
                         .createSocket(plain, "localhost", l.port(), false)) {
                s.getOutputStream().write(42);
                assertEquals(42, s.getInputStream().read());
                plain.shutdownOutput();   // TCP FIN, no close_notify
                Throwable cause = server.closed.get(5, TimeUnit.SECONDS);
                assertInstanceOf(SSLException.class, cause);
                assertTrue(cause.getMessage().contains("without close_notify"), cause.getMessage());
                assertTrue(server.endOfInput.isDone() == false, "a bare FIN was reported as an orderly end");
            }
        });
    }

    @Test
    void garbageInsteadOfAClientHelloClosesWithAnError() {
        assertTimeoutPreemptively(Duration.ofSeconds(15), () -> {
            Tls tls = Tls.server(certs.serverContext()).build();
            Recorder server = new Recorder(true);
            try (Listener l = reactor.listen(new InetSocketAddress("127.0.0.1", 0), tls.handlers(() -> server));
                 Socket s = raw(l.port())) {
                s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                Throwable cause = server.closed.get(5, TimeUnit.SECONDS);
                assertInstanceOf(SSLException.class, cause);
                assertEquals("eof", TestCerts.drainToEnd(s), "the peer gets an alert at most, then the end");
                assertTrue(server.opened.isCompletedExceptionally());
            }
        });
    }

    @Test
    void handshakeThatNeverStartsTimesOut() {
        assertTimeoutPreemptively(Duration.ofSeconds(15), () -> {
            Tls tls = Tls.server(certs.serverContext()).handshakeTimeout(Duration.ofMillis(300)).build();
            Recorder server = new Recorder(true);
            try (Listener l = reactor.listen(new InetSocketAddress("127.0.0.1", 0), tls.handlers(() -> server));
                 Socket s = raw(l.port())) {
                long t0 = System.nanoTime();
                Throwable cause = server.closed.get(5, TimeUnit.SECONDS);
                assertInstanceOf(SSLHandshakeException.class, cause);
                assertTrue(cause.getMessage().contains("not finished within 300 ms"), cause.getMessage());
                assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(250), "closed before the timeout");
                String end = TestCerts.drainToEnd(s);
                assertTrue(end.equals("eof") || end.contains("reset"), end);
            }
        });
    }

    @Test
    void peerDribblingOneByteAtATimeIsCutAtTheHandshakeTimeout() {
        assertTimeoutPreemptively(Duration.ofSeconds(15), () -> {
            Tls tls = Tls.server(certs.serverContext()).handshakeTimeout(Duration.ofMillis(400)).build();
            Recorder server = new Recorder(true);
            byte[] hello = clientHello();
            try (Listener l = reactor.listen(new InetSocketAddress("127.0.0.1", 0), tls.handlers(() -> server));
                 Socket s = raw(l.port())) {
                OutputStream out = s.getOutputStream();
                String sent = "sent all";
                try {
                    for (int i = 0; i < hello.length && !server.closed.isDone(); i++) {
                        out.write(hello[i]);
                        Thread.sleep(20);
                    }
                } catch (Exception reset) {
                    sent = reset.toString();
                }
                Throwable cause = server.closed.get(5, TimeUnit.SECONDS);
                assertInstanceOf(SSLHandshakeException.class, cause, sent);
                assertTrue(cause.getMessage().contains("not finished within"), cause.getMessage());
            }
        });
    }

    @Test
    void clientWhoseServerNeverAnswersFailsAtTheHandshakeTimeout() {
        assertTimeoutPreemptively(Duration.ofSeconds(15), () -> {
            try (ServerSocket silent = new ServerSocket(0, 5, java.net.InetAddress.getLoopbackAddress())) {
                Tls tls = Tls.client(certs.clientContext()).handshakeTimeout(Duration.ofMillis(300)).build();
                Recorder client = new Recorder(false);
                var future = tls.connect(reactor, "localhost", silent.getLocalPort(), client);
                Throwable cause = client.closed.get(5, TimeUnit.SECONDS);
                assertInstanceOf(SSLHandshakeException.class, cause);
                var failure = assertThrows(java.util.concurrent.ExecutionException.class, () -> future.get(5, TimeUnit.SECONDS));
                assertInstanceOf(SSLHandshakeException.class, failure.getCause());
            }
        });
    }

    @Test
    void peerSendingOneByteAtATimeCompletesTheHandshakeAndEchoes() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            Tls tls = Tls.server(certs.serverContext()).build();
            Recorder server = new Recorder(true);
            try (Listener l = reactor.listen(new InetSocketAddress("127.0.0.1", 0), tls.handlers(() -> server));
                 ServerSocket relay = new ServerSocket(0, 5, java.net.InetAddress.getLoopbackAddress())) {
                // client -> relay -> server, the client's bytes forwarded one write(2) per byte
                Thread t = Thread.ofPlatform().daemon().start(() -> {
                    try (Socket in = relay.accept(); Socket out = raw(l.port())) {
                        in.setTcpNoDelay(true);
                        Thread back = Thread.ofPlatform().daemon().start(() -> pump(out, in, 1 << 16));
                        pump(in, out, 1);
                        back.join();
                    } catch (Exception e) {
                        // the test's assertions report it
                    }
                });
                try (SSLSocket s = (SSLSocket) certs.clientContext().getSocketFactory().createSocket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", relay.getLocalPort()), 5000);
                    s.setSoTimeout(10_000);
                    byte[] data = "one byte at a time".repeat(20).getBytes(StandardCharsets.US_ASCII);
                    s.getOutputStream().write(data);
                    assertArrayEquals(data, Net.readFully(s.getInputStream(), data.length));
                }
                t.join(5_000);
            }
        });
    }

    private static void pump(Socket from, Socket to, int chunk) {
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                for (int off = 0; off < n; off += chunk) {
                    out.write(buf, off, Math.min(chunk, n - off));
                    out.flush();
                }
            }
            to.shutdownOutput();
        } catch (Exception e) {
            // one side closed
        }
    }

    /** A real ClientHello, as the JDK's engine writes it. */
    private static byte[] clientHello() throws Exception {
        var engine = certs.clientContext().createSSLEngine("localhost", 443);
        engine.setUseClientMode(true);
        var out = java.nio.ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.wrap(java.nio.ByteBuffer.allocate(0), out);
        byte[] b = new byte[out.position()];
        out.flip().get(b);
        return b;
    }
}
