package io.ffmepoll.tls;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A self-signed EC certificate for {@code localhost} and {@code 127.0.0.1}, made once per test
 * JVM with the running JDK's keytool, and the contexts and PEM files the tests need.
 */
final class TestCerts {

    static final char[] PASSWORD = "changeit".toCharArray();
    private static TestCerts instance;

    final Path dir;
    final PrivateKey key;
    final X509Certificate cert;
    final Path certPem;
    final Path keyPem;

    private TestCerts(Path dir) throws Exception {
        this.dir = dir;
        Path ks = dir.resolve("server.p12");
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "server", "-keyalg", "EC",
                "-groupname", "secp256r1", "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1",
                "-validity", "2", "-keystore", ks.toString(), "-storetype", "PKCS12",
                "-storepass", "changeit", "-keypass", "changeit")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IOException("keytool failed: " + out);
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(ks)) {
            store.load(in, PASSWORD);
        }
        key = (PrivateKey) store.getKey("server", PASSWORD);
        cert = (X509Certificate) store.getCertificate("server");
        certPem = dir.resolve("cert.pem");
        keyPem = dir.resolve("key.pem");
        Files.writeString(certPem, pem("CERTIFICATE", cert.getEncoded()));
        Files.writeString(keyPem, pem("PRIVATE KEY", key.getEncoded()));
    }

    static synchronized TestCerts get() throws Exception {
        if (instance == null) {
            Path dir = Files.createTempDirectory("ffmepoll-tls");
            dir.toFile().deleteOnExit();
            instance = new TestCerts(dir);
            for (Path f : new Path[] {dir.resolve("server.p12"), instance.certPem, instance.keyPem}) f.toFile().deleteOnExit();
        }
        return instance;
    }

    static String pem(String label, byte[] der) {
        return "-----BEGIN " + label + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + label + "-----\n";
    }

    KeyManager[] keyManagers() throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("server", key, PASSWORD, new X509Certificate[] {cert});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, PASSWORD);
        return kmf.getKeyManagers();
    }

    /** Presents the certificate. */
    SSLContext serverContext() throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(keyManagers(), null, null);
        return ctx;
    }

    /** Trusts only the certificate; a fresh session cache each time. */
    SSLContext clientContext() throws Exception {
        KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        ts.setCertificateEntry("server", cert);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    /** Reads until EOF or reset, for at most the socket's timeout per read; returns how it ended. */
    static String drainToEnd(Socket s) {
        try {
            InputStream in = s.getInputStream();
            byte[] buf = new byte[4096];
            while (in.read(buf) >= 0) {
                // discard: an alert, maybe
            }
            return "eof";
        } catch (IOException e) {
            return e.toString();
        }
    }
}
