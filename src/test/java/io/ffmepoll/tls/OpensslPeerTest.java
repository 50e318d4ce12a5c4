package io.ffmepoll.tls;

import io.ffmepoll.reactor.Listener;
import io.ffmepoll.reactor.Reactor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The TLS layer against OpenSSL's {@code s_client} and {@code s_server}, run as processes
 * ({@code .ci/run} installs openssl where it is missing; elsewhere these tests are skipped).
 */
class OpensslPeerTest {

    static final Path OPENSSL = Path.of("/usr/bin/openssl");
    static Reactor reactor;
    static TestCerts certs;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(Files.isExecutable(OPENSSL), "openssl is not installed");
        certs = TestCerts.get();
        reactor = Reactor.builder().loops(1).threadName("tls-openssl").linger(Duration.ofMillis(200))
                .closeGrace(Duration.ofSeconds(2)).build();
    }

    @AfterAll
    static void stop() {
        if (reactor != null) reactor.close();
    }

    /** Echoes lines and closes (close_notify) after the first newline. */
    static final class LineEchoThenClose extends Recorder {
        LineEchoThenClose() {
            super(false);
        }

        @Override
        public void onRead(TlsConnection c, MemorySegment data) {
            c.write(data);
            for (long i = 0; i < data.byteSize(); i++) {
                if (data.get(ValueLayout.JAVA_BYTE, i) == '\n') {
                    c.close();
                    return;
                }
            }
        }
    }

    static Process openssl(String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(OPENSSL.toString());
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    static String finish(Process p, int seconds) throws Exception {
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return e.toString();
            }
        });
        try {
            assertTrue(p.waitFor(seconds, TimeUnit.SECONDS), "openssl did not finish in " + seconds + " s");
            return out.get(5, TimeUnit.SECONDS);
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void opensslClientVerifiesThePemCertificateAgreesOnAlpnAndGetsItsEchoBeforeOurCloseNotify() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            Tls tls = Tls.server(Pem.serverContext(certs.certPem, certs.keyPem)).applicationProtocols("http/1.1").build();
            LineEchoThenClose server = new LineEchoThenClose();
            try (Listener l = reactor.listen(new InetSocketAddress("127.0.0.1", 0), tls.handlers(() -> server))) {
                Process p = openssl("s_client", "-connect", "127.0.0.1:" + l.port(), "-servername", "localhost",
                        "-alpn", "http/1.1", "-CAfile", certs.certPem.toString(), "-verify_return_error", "-ign_eof");
                p.getOutputStream().write("hello over tls\n".getBytes(StandardCharsets.US_ASCII));
                p.getOutputStream().close();
                String out = finish(p, 15);
                assertTrue(out.contains("ALPN protocol: http/1.1"), out);
                assertTrue(out.contains("Verify return code: 0 (ok)"), out);
                assertTrue(out.contains("hello over tls"), out);
                assertTrue(out.contains("TLSv1.3"), out);
                assertEquals(0, p.exitValue(), out);
                assertNull(server.closed.get(5, TimeUnit.SECONDS));
            }
        });
    }

    @Test
    void opensslClientCloseNotifyIsAnOrderlyEndOfInput() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            Tls tls = Tls.server(certs.serverContext()).build();
            Recorder server = new Recorder(true);
            try (Listener l = reactor.listen(new InetSocketAddress("127.0.0.1", 0), tls.handlers(() -> server))) {
                Process p = openssl("s_client", "-connect", "127.0.0.1:" + l.port(), "-CAfile", certs.certPem.toString());
                p.getOutputStream().close();   // end of stdin: s_client sends close_notify
                finish(p, 15);
                server.endOfInput.get(5, TimeUnit.SECONDS);
                assertNull(server.closed.get(5, TimeUnit.SECONDS));
            }
        });
    }

    @Test
    void clientAgainstOpensslServerAgreesOnAlpnClosesCleanlyAndResumesTheSecondTime() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            Process server = openssl("s_server", "-accept", "0", "-cert", certs.certPem.toString(), "-key",
                    certs.keyPem.toString(), "-rev", "-naccept", "2", "-alpn", "http/1.1");
            BufferedReader lines = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
            StringBuilder log = new StringBuilder();
            int port = -1;
            try {
                for (String line; port < 0 && (line = lines.readLine()) != null; ) {
                    log.append(line).append('\n');
                    if (line.startsWith("ACCEPT")) port = Integer.parseInt(line.substring(line.lastIndexOf(':') + 1));
                }
                assertTrue(port > 0, log.toString());
                AtomicReference<String> rest = new AtomicReference<>();
                Thread reader = Thread.ofPlatform().daemon().start(() -> {
                    StringBuilder b = new StringBuilder();
                    try {
                        for (String line; (line = lines.readLine()) != null; ) b.append(line).append('\n');
                    } catch (IOException e) {
                        b.append(e);
                    }
                    rest.set(b.toString());
                });
                Tls tls = Tls.client(certs.clientContext()).applicationProtocols("http/1.1").build();
                for (int i = 0; i < 2; i++) {
                    Recorder client = new Recorder(false) {
                        @Override
                        public void onOpen(TlsConnection c) {
                            super.onOpen(c);
                            c.write("hello\n".getBytes(StandardCharsets.US_ASCII));
                        }

                        @Override
                        public void onRead(TlsConnection c, MemorySegment data) {
                            super.onRead(c, data);
                            if (new String(bytes(), StandardCharsets.US_ASCII).endsWith("\n")) c.close();
                        }
                    };
                    TlsConnection c = tls.connect(reactor, new InetSocketAddress("127.0.0.1", port), "localhost", client)
                            .get(10, TimeUnit.SECONDS);
                    assertEquals("http/1.1", c.applicationProtocol());
                    assertNull(client.closed.get(10, TimeUnit.SECONDS));
                    assertEquals("olleh\n", new String(client.bytes(), StandardCharsets.US_ASCII));
                }
                assertTrue(server.waitFor(10, TimeUnit.SECONDS), "s_server did not finish its two connections");
                reader.join(5_000);
                String out = log + rest.get();
                assertEquals(2, out.split("CONNECTION CLOSED", -1).length - 1, out);
                assertTrue(out.contains(" 1 session cache hits"), "the second connection did not resume:\n" + out);
                assertTrue(!out.contains("error"), out);
            } finally {
                server.destroyForcibly();
            }
        });
    }
}
