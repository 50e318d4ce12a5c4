package io.ffmepoll.bench.ffm;

import io.ffmepoll.bench.common.ServerTls;
import io.ffmepoll.tls.Pem;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code FfmServer --tls}: echo and HTTP over TLS, against the JDK, curl and openssl as clients. */
class TlsServerTest {

    static final Path OPENSSL = Path.of("/usr/bin/openssl");
    static final Path CURL = Path.of("/usr/bin/curl");

    static SSLSocket connect(SSLContext ctx, int port) throws IOException {
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket();
        s.connect(new InetSocketAddress("127.0.0.1", port), Wire.TIMEOUT_MS);
        s.setSoTimeout(Wire.TIMEOUT_MS);
        return s;
    }

    static String run(int seconds, String input, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            p.getOutputStream().write(input.getBytes(StandardCharsets.US_ASCII));
            p.getOutputStream().close();
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> {
                try {
                    return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    return e.toString();
                }
            });
            assertTrue(p.waitFor(seconds, TimeUnit.SECONDS), String.join(" ", cmd) + " did not finish");
            return out.get(5, TimeUnit.SECONDS);
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void echoOverTlsWithASelfSignedCertificateMadeAtStart() {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            try (ServerProcess server = ServerProcess.start("echo", 1, "--tls")) {
                byte[] data = Wire.pattern(300_000, 7);
                try (SSLSocket s = connect(ServerTls.trustingAnything(), server.port())) {
                    Thread writer = Thread.ofPlatform().start(() -> {
                        try {
                            s.getOutputStream().write(data);
                        } catch (IOException e) {
                            throw new RuntimeException(e);
                        }
                    });
                    Wire.expect(s.getInputStream(), data, "300 KB echo over TLS");
                    writer.join();
                    X509Certificate cert = (X509Certificate) s.getSession().getPeerCertificates()[0];
                    assertEquals("CN=localhost", cert.getSubjectX500Principal().getName());
                    assertEquals("TLSv1.3", s.getSession().getProtocol());
                }
                if (Files.isExecutable(OPENSSL)) {
                    // s_client keeps reading after its input ends (-ign_eof): stop it once the echo is back.
                    Process p = new ProcessBuilder(OPENSSL.toString(), "s_client", "-connect", "127.0.0.1:" + server.port(),
                            "-ign_eof").redirectErrorStream(true).start();
                    try {
                        p.getOutputStream().write("ping over tls\n".getBytes(StandardCharsets.US_ASCII));
                        p.getOutputStream().close();
                        String out = readUntil(p.getInputStream(), "ping over tls", 10);
                        assertTrue(out.contains("ping over tls") && out.contains("TLSv1.3"), out);
                    } finally {
                        p.destroyForcibly();
                    }
                }
                server.stopGracefully(1);
            }
        });
    }

    @Test
    void httpOverTlsAnswersCurlOpensslAndAlpn() {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            try (ServerProcess server = ServerProcess.start("http", 1, "--tls")) {
                String url = "https://127.0.0.1:" + server.port() + "/";
                if (Files.isExecutable(CURL)) {
                    String out = run(15, "", CURL.toString(), "-k", "-sS", "-w", " %{http_version} %{http_code} %{num_connects}|", url, url);
                    // two requests on one kept-alive TLS connection: the second made no new connection
                    assertEquals("Hello, World! 1.1 200 1|Hello, World! 1.1 200 0|", out);
                }
                if (Files.isExecutable(OPENSSL)) {
                    String out = run(15, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", OPENSSL.toString(),
                            "s_client", "-connect", "127.0.0.1:" + server.port(), "-alpn", "http/1.1", "-ign_eof");
                    assertTrue(out.contains("ALPN protocol: http/1.1"), out);
                    assertTrue(out.contains("HTTP/1.1 200 OK") && out.contains("Hello, World!"), out);
                }
                try (SSLSocket s = connect(ServerTls.trustingAnything(), server.port())) {
                    var p = s.getSSLParameters();
                    p.setApplicationProtocols(new String[] {"h2", "http/1.1"});
                    s.setSSLParameters(p);
                    s.getOutputStream().write(Wire.ascii("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"));
                    byte[] one = Wire.ascii("HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nHello, World!");
                    Wire.expect(s.getInputStream(), Wire.repeat(one, 2), "two pipelined responses");
                    assertEquals("http/1.1", s.getApplicationProtocol());
                }
                server.stopGracefully(1);
            }
        });
    }

    @Test
    void givenPemCertificateAndKeyAreTheOnesServed() {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            assumeTrue(Files.isExecutable(OPENSSL), "openssl makes the PEM files");
            Path dir = Files.createTempDirectory("tls-pem");
            Path cert = dir.resolve("cert.pem"), key = dir.resolve("key.pem");
            try {
                String out = run(30, "", OPENSSL.toString(), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                        key.toString(), "-out", cert.toString(), "-subj", "/CN=localhost", "-days", "1",
                        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1");
                assertTrue(Files.exists(key) && Files.exists(cert), out);
                try (ServerProcess server = ServerProcess.start("echo", 1, "--tls", "--cert", cert.toString(), "--key", key.toString());
                     SSLSocket s = connect(Pem.trustingContext(cert), server.port())) {
                    var p = s.getSSLParameters();
                    p.setEndpointIdentificationAlgorithm("HTTPS");
                    s.setSSLParameters(p);
                    s.getOutputStream().write(Wire.ascii("verified"));
                    Wire.expect(s.getInputStream(), Wire.ascii("verified"), "echo with the given certificate");
                    server.stopGracefully(1);
                }
            } finally {
                for (Path f : List.of(cert, key, dir)) Files.deleteIfExists(f);
            }
        });
    }

    private static String readUntil(InputStream in, String marker, int seconds) throws Exception {
        CompletableFuture<String> f = CompletableFuture.supplyAsync(() -> {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            byte[] buf = new byte[4096];
            try {
                for (int n; (n = in.read(buf)) > 0; ) {
                    b.write(buf, 0, n);
                    if (b.toString(StandardCharsets.UTF_8).contains(marker)) break;
                }
            } catch (IOException e) {
                b.writeBytes(e.toString().getBytes(StandardCharsets.UTF_8));
            }
            return b.toString(StandardCharsets.UTF_8);
        });
        return f.get(seconds, TimeUnit.SECONDS);
    }
}
