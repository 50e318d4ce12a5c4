package io.ffmepoll.bench.common;

import io.ffmepoll.tls.Pem;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * A server's TLS key material for the example servers' {@code --tls}: the PEM files given with
 * {@code --cert}/{@code --key}, or a self-signed EC certificate for {@code localhost} and
 * {@code 127.0.0.1} made at start with the running JDK's keytool (clients then skip
 * verification: {@code curl -k}, {@code openssl s_client} without {@code -verify_return_error}).
 */
public record ServerTls(PrivateKey key, X509Certificate[] chain) {

    /** From PEM files when both are given, else self-signed; one of them alone is an error. */
    public static ServerTls load(String certPem, String keyPem) throws IOException, GeneralSecurityException {
        if ((certPem == null) != (keyPem == null)) throw new IllegalArgumentException("--cert and --key go together");
        if (certPem != null) {
            List<X509Certificate> chain = Pem.certificates(Path.of(certPem));
            return new ServerTls(Pem.privateKey(Path.of(keyPem)), chain.toArray(new X509Certificate[0]));
        }
        return selfSigned();
    }

    /** A new self-signed certificate, made with {@code keytool} in a directory removed afterwards. */
    public static ServerTls selfSigned() throws IOException, GeneralSecurityException {
        Path dir = Files.createTempDirectory("bench-tls");
        try {
            Path ks = dir.resolve("self.p12");
            Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
            Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "self", "-keyalg", "EC",
                    "-groupname", "secp256r1", "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1",
                    "-validity", "30", "-keystore", ks.toString(), "-storetype", "PKCS12",
                    "-storepass", "selfsigned", "-keypass", "selfsigned").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            try {
                if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IOException("keytool failed: " + out);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while keytool ran", e);
            } finally {
                p.destroyForcibly();
            }
            KeyStore store = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(ks)) {
                store.load(in, "selfsigned".toCharArray());
            }
            return new ServerTls((PrivateKey) store.getKey("self", "selfsigned".toCharArray()),
                    new X509Certificate[] {(X509Certificate) store.getCertificate("self")});
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path f : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
            }
        }
    }

    /** A JDK context presenting this key and chain. */
    public SSLContext context() throws GeneralSecurityException {
        return Pem.serverContext(key, List.of(chain));
    }

    /**
     * A client context that accepts any server certificate, as {@code curl -k} does: for the
     * load generators and checks, which talk to the servers' self-signed certificates. Never
     * for anything but loopback benchmarks.
     */
    public static SSLContext trustingAnything() throws GeneralSecurityException {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new TrustManager[] {new X509TrustManager() {
            public void checkClientTrusted(X509Certificate[] chain, String authType) {}

            public void checkServerTrusted(X509Certificate[] chain, String authType) {}

            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
        return ctx;
    }
}
