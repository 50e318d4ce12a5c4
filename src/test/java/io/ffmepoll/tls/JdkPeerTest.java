package io.ffmepoll.tls;

import io.ffmepoll.reactor.Listener;
import io.ffmepoll.reactor.Net;
import io.ffmepoll.reactor.Reactor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The TLS layer against the JDK's own blocking TLS sockets, as server and as client. */
class JdkPeerTest {

    static Reactor reactor;
    static TestCerts certs;

    @BeforeAll
    static void start() throws Exception {
        certs = TestCerts.get();
        reactor = Reactor.builder().loops(1).threadName("tls-test").linger(Duration.ofMillis(200))
                .closeGrace(Duration.ofSeconds(2)).build();
    }

    @AfterAll
    static void stop() {
        reactor.close();
    }

    static SSLSocket jdkClient(int port, String... alpn) throws Exception {
        SSLSocket s = (SSLSocket) certs.clientContext().getSocketFactory().createSocket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        s.setSoTimeout(10_000);
        SSLParameters p = s.getSSLParameters();
        if (alpn.length > 0) p.setApplicationProtocols(alpn);
        p.setEndpointIdentificationAlgorithm("HTTPS");
        s.setSSLParameters(p);
        return s;
    }

    @Test
    void serverEchoesForAJdkClientAgreesOnAlpnAndClosesWithCloseNotifyBothWays() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            Tls tls = Tls.server(certs.serverContext()).applicationProtocols("h2", "http/1.1").build();
            Recorder server = new Recorder(true);
            try (Listener l = reactor.listen(new InetSocketAddress("127.0.0.1", 0), tls.handlers(() -> server));
                 SSLSocket s = jdkClient(l.port(), "http/1.1")) {
                byte[] data = new byte[300_000];
                new Random(1).nextBytes(data);
                Thread writer = Thread.ofPlatform().start(() -> {
                    try {
                        s.getOutputStream().write(data);
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                byte[] back = Net.readFully(s.getInputStream(), data.length);
                writer.join();
                assertArrayEquals(data, back);
                assertEquals("http/1.1", s.getApplicationProtocol());
                assertEquals("http/1.1", server.opened.get(5, TimeUnit.SECONDS));
                assertEquals("TLSv1.3", s.getSession().getProtocol());
                s.shutdownOutput();                                      // our close_notify
                server.endOfInput.get(5, TimeUnit.SECONDS);               // seen as one
                assertEquals(-1, s.getInputStream().read(), "the server's close_notify, then EOF");
                assertNull(server.closed.get(5, TimeUnit.SECONDS), "an orderly close");
            }
        });
    }

    @Test
    void clientTalksToAJdkServerAndItsCloseNotifyReachesIt() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            SSLServerSocket ss = (SSLServerSocket) certs.serverContext().getServerSocketFactory().createServerSocket(0);
            SSLParameters sp = ss.getSSLParameters();
            sp.setApplicationProtocols(new String[] {"http/1.1"});
            ss.setSSLParameters(sp);
            CompletableFuture<String> serverSaw = new CompletableFuture<>();
            Thread t = Thread.ofPlatform().start(() -> {
                try (ss; SSLSocket s = (SSLSocket) ss.accept()) {
                    s.setSoTimeout(10_000);
                    InputStream in = s.getInputStream();
                    byte[] hello = Net.readFully(in, 5);
                    s.getOutputStream().write("world".getBytes(StandardCharsets.US_ASCII));
                    int end = in.read();   // -1 only after close_notify; a bare FIN throws
                    serverSaw.complete(new String(hello, StandardCharsets.US_ASCII) + " then " + end);
                } catch (Exception e) {
                    serverSaw.complete(e.toString());
                }
            });
            Tls tls = Tls.client(certs.clientContext()).applicationProtocols("http/1.1").build();
            Recorder client = new Recorder(false) {
                @Override
                public void onOpen(TlsConnection c) {
                    super.onOpen(c);
                    c.write("hello".getBytes(StandardCharsets.US_ASCII));
                }

                @Override
                public void onRead(TlsConnection c, MemorySegment data) {
                    super.onRead(c, data);
                    if (bytes().length == 5) c.close();
                }
            };
            TlsConnection c = tls.connect(reactor, "localhost", ss.getLocalPort(), client).get(10, TimeUnit.SECONDS);
            assertEquals("http/1.1", c.applicationProtocol());
            assertEquals("hello then -1", serverSaw.get(10, TimeUnit.SECONDS));
            assertNull(client.closed.get(5, TimeUnit.SECONDS));
            assertEquals("world", new String(client.bytes(), StandardCharsets.US_ASCII));
            t.join();
        });
    }

    /**
     * Our close sends close_notify: our own server tells it from a bare FIN (the JDK's SSLSocket
     * does not: it reads -1 either way), so both ends here are this layer.
     */
    @Test
    void closeSendsCloseNotifyWhichThePeerSeesAsAnOrderlyEnd() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            Tls server = Tls.server(certs.serverContext()).build();
            Recorder serverSide = new Recorder(true);
            Tls client = Tls.client(certs.clientContext()).build();
            try (Listener l = reactor.listen(new InetSocketAddress("127.0.0.1", 0), server.handlers(() -> serverSide))) {
                Recorder clientSide = new Recorder(false) {
                    @Override
                    public void onOpen(TlsConnection c) {
                        super.onOpen(c);
                        c.write(new byte[] {9});
                    }

                    @Override
                    public void onRead(TlsConnection c, MemorySegment data) {
                        super.onRead(c, data);
                        c.close();
                    }
                };
                client.connect(reactor, "localhost", l.port(), clientSide).get(10, TimeUnit.SECONDS);
                serverSide.endOfInput.get(5, TimeUnit.SECONDS);
                assertNull(serverSide.closed.get(5, TimeUnit.SECONDS), "the server saw a truncation, not close_notify");
                assertNull(clientSide.closed.get(5, TimeUnit.SECONDS));
            }
        });
    }

    /** Counts the client's checks of a server certificate: a resumed handshake has no certificate to check. */
    static final class CountingTrustManager extends X509ExtendedTrustManager {
        final X509ExtendedTrustManager delegate;
        final AtomicInteger checks = new AtomicInteger();

        CountingTrustManager(X509ExtendedTrustManager delegate) {
            this.delegate = delegate;
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            checks.incrementAndGet();
            delegate.checkServerTrusted(chain, authType, engine);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            checks.incrementAndGet();
            delegate.checkServerTrusted(chain, authType, socket);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            checks.incrementAndGet();
            delegate.checkServerTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            delegate.checkClientTrusted(chain, authType, engine);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            delegate.checkClientTrusted(chain, authType, socket);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            delegate.checkClientTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return delegate.getAcceptedIssuers();
        }
    }

    @Test
    void secondClientConnectionToTheSameHostAndPortResumesTheSession() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            KeyStore ts = KeyStore.getInstance("PKCS12");
            ts.load(null, null);
            ts.setCertificateEntry("server", certs.cert);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ts);
            CountingTrustManager tm = new CountingTrustManager((X509ExtendedTrustManager) tmf.getTrustManagers()[0]);
            SSLContext clientCtx = SSLContext.getInstance("TLS");
            clientCtx.init(null, new TrustManager[] {tm}, null);
            Tls server = Tls.server(certs.serverContext()).build();
            Tls client = Tls.client(clientCtx).build();
            try (Listener l = reactor.listen(new InetSocketAddress("127.0.0.1", 0), server.handlers(() -> new Recorder(true)))) {
                for (int i = 0; i < 2; i++) {
                    Recorder r = new Recorder(false) {
                        @Override
                        public void onOpen(TlsConnection c) {
                            super.onOpen(c);
                            c.write(new byte[] {1, 2, 3});
                        }

                        @Override
                        public void onRead(TlsConnection c, MemorySegment data) {
                            super.onRead(c, data);   // the echo comes after the server's session ticket
                            if (bytes().length == 3) c.close();
                        }
                    };
                    client.connect(reactor, "localhost", l.port(), r).get(10, TimeUnit.SECONDS);
                    assertNull(r.closed.get(10, TimeUnit.SECONDS));
                }
            }
            assertEquals(1, tm.checks.get(), "the second handshake checked a certificate: a full handshake, not resumed");
        });
    }

    @Test
    void renegotiationIsRefusedOverTls12() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            Tls tls = Tls.server(certs.serverContext()).protocols("TLSv1.3", "TLSv1.2").build();
            Recorder server = new Recorder(true);
            try (Listener l = reactor.listen(new InetSocketAddress("127.0.0.1", 0), tls.handlers(() -> server));
                 SSLSocket s = jdkClient(l.port())) {
                s.setEnabledProtocols(new String[] {"TLSv1.2"});
                OutputStream out = s.getOutputStream();
                out.write(7);
                assertEquals(7, s.getInputStream().read());
                assertEquals("TLSv1.2", s.getSession().getProtocol());
                s.startHandshake();   // a renegotiation: the next I/O runs it
                String end;
                try {
                    out.write(8);
                    end = "read " + s.getInputStream().read();
                } catch (Exception e) {
                    end = e.toString();
                }
                Throwable cause = server.closed.get(5, TimeUnit.SECONDS);
                assertInstanceOf(SSLHandshakeException.class, cause, "client saw: " + end);
                assertTrue(cause.getMessage().contains("renegotiation refused"), cause.getMessage());
            }
        });
    }

    @Test
    void alpnWithNoCommonProtocolFailsTheHandshakeOnBothSides() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            Tls tls = Tls.server(certs.serverContext()).applicationProtocols("h2").build();
            Recorder server = new Recorder(true);
            try (Listener l = reactor.listen(new InetSocketAddress("127.0.0.1", 0), tls.handlers(() -> server));
                 SSLSocket s = jdkClient(l.port(), "http/1.1")) {
                assertThrows(SSLHandshakeException.class, s::startHandshake);
                assertInstanceOf(SSLHandshakeException.class, server.closed.get(5, TimeUnit.SECONDS));
                assertTrue(server.opened.isCompletedExceptionally(), "onOpen came without a handshake");
            }
        });
    }
}
