package io.ffmepoll.tls;

import io.ffmepoll.reactor.Listener;
import io.ffmepoll.reactor.Reactor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** The README's TLS snippet, as written there (with the test's PEM files and a free port). */
class TlsReadmeTest {

    @Test
    void readmeSnippetEchoesBetweenItsServerAndItsClient() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            TestCerts certs = TestCerts.get();
            CompletableFuture<String> echoed = new CompletableFuture<>();
            TlsHandler myHandler = new TlsHandler() {
                public void onOpen(TlsConnection c) {
                    c.write("hello".getBytes(StandardCharsets.US_ASCII));
                }

                public void onRead(TlsConnection c, MemorySegment data) {
                    echoed.complete(new String(data.toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII));
                    c.close();
                }
            };
            try (Reactor reactor = Reactor.builder().loops(1).build()) {
                // ---- as in README.md, "TLS"
                Tls server = Tls.server(Pem.serverContext(certs.certPem, certs.keyPem))
                        .applicationProtocols("http/1.1")            // ALPN, server preference order
                        .build();
                Listener l = reactor.listen(new InetSocketAddress("127.0.0.1", 0), server.handlers(() -> new TlsHandler() {
                    public void onRead(TlsConnection c, MemorySegment data) {
                        if (!c.write(data)) c.pauseReading();       // plaintext in, ciphertext queued
                    }
                    public void onWritabilityChanged(TlsConnection c, boolean writable) {
                        if (writable) c.resumeReading();
                    }
                }));

                Tls client = Tls.client(Pem.trustingContext(certs.certPem)).build();
                TlsConnection c = client.connect(reactor, "localhost", l.port(), myHandler).join();  // after the handshake
                // ----
                assertEquals("hello", echoed.get(10, TimeUnit.SECONDS));
                assertEquals("TLSv1.3", c.session().getProtocol());
                l.close();
            }
        });
    }
}
