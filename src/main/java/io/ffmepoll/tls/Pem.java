package io.ffmepoll.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Key material from PEM files, with the JDK's own parsers ({@link CertificateFactory},
 * {@link KeyFactory}): X.509 certificates ({@code BEGIN CERTIFICATE}) and unencrypted PKCS#8
 * private keys ({@code BEGIN PRIVATE KEY}: RSA, EC, Ed25519, Ed448), as {@code openssl req
 * -x509 -nodes} and {@code openssl genpkey} write them. A traditional {@code BEGIN RSA PRIVATE
 * KEY} or {@code BEGIN EC PRIVATE KEY} file is refused with the {@code openssl pkcs8 -topk8}
 * command that converts it.
 * <p>Thread-safety: stateless; every method may be called from any thread.
 * {@snippet :
 * SSLContext server = Pem.serverContext(Path.of("fullchain.pem"), Path.of("key.pem"));
 * SSLContext client = Pem.trustingContext(Path.of("ca.pem"));
 * }
 */
public final class Pem {

    private static final String[] KEY_ALGORITHMS = {"RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS", "XDH"};

    private Pem() {}

    /**
     * The certificates in {@code file}, in file order (a server's chain: its own first).
     * @throws IOException unreadable file, or no certificate in it
     * @throws CertificateException a block that does not parse
     * @param file a PEM file
     * @return its certificates
     */
    public static List<X509Certificate> certificates(Path file) throws IOException, CertificateException {
        List<byte[]> blocks = blocks(Files.readString(file, StandardCharsets.US_ASCII), "CERTIFICATE");
        if (blocks.isEmpty()) throw new IOException(file + ": no BEGIN CERTIFICATE block");
        CertificateFactory f = CertificateFactory.getInstance("X.509");
        List<X509Certificate> out = new ArrayList<>();
        for (byte[] der : blocks) out.add((X509Certificate) f.generateCertificate(new ByteArrayInputStream(der)));
        return out;
    }

    /**
     * The unencrypted PKCS#8 private key in {@code file}.
     * @throws IOException unreadable file, no key in it, or a format this does not read (the
     *         message says how to convert it)
     * @throws InvalidKeySpecException a key of no known algorithm
     * @param file a PEM file
     * @return its key
     */
    public static PrivateKey privateKey(Path file) throws IOException, InvalidKeySpecException {
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        List<byte[]> blocks = blocks(text, "PRIVATE KEY");
        if (blocks.isEmpty()) {
            if (text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
                throw new IOException(file + ": encrypted key; decrypt it: openssl pkcs8 -in " + file + " -out key.pem");
            }
            if (text.matches("(?s).*-----BEGIN (RSA|EC|DSA) PRIVATE KEY-----.*")) {
                throw new IOException(file + ": traditional key format; convert it to PKCS#8: openssl pkcs8 -topk8 -nocrypt -in "
                        + file + " -out key.pem");
            }
            throw new IOException(file + ": no BEGIN PRIVATE KEY block");
        }
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(blocks.getFirst());
        for (String algorithm : KEY_ALGORITHMS) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (InvalidKeySpecException | java.security.NoSuchAlgorithmException notThisOne) {
                // PKCS#8 names its algorithm by OID; trying the factories is the JDK-only way to map it
            }
        }
        throw new InvalidKeySpecException(file + ": a private key of none of " + String.join(", ", KEY_ALGORITHMS));
    }

    /**
     * A TLS context that presents the certificate chain in {@code certificateChain} with the key
     * in {@code privateKey}, and trusts the JDK's default authorities (for client certificates).
     * @throws IOException unreadable or malformed files (see {@link #privateKey})
     * @throws GeneralSecurityException a key that does not fit the JDK's key store
     * @param certificateChain PEM certificates, the server's first
     * @param privateKey its PKCS#8 key, PEM
     * @return a server context
     */
    public static SSLContext serverContext(Path certificateChain, Path privateKey) throws IOException, GeneralSecurityException {
        return serverContext(privateKey(privateKey), certificates(certificateChain));
    }

    /**
     * A TLS context that presents {@code chain} (the server's own certificate first) with
     * {@code key}, however they were obtained (PEM files, a key store, generated).
     * @throws GeneralSecurityException a key that does not fit the chain or the JDK's key store
     * @param key the private key
     * @param chain the certificates, the server's first
     * @return a server context
     */
    public static SSLContext serverContext(PrivateKey key, List<X509Certificate> chain) throws GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try {
            ks.load(null, null);
        } catch (IOException e) {
            throw new GeneralSecurityException("empty PKCS12 key store: " + e.getMessage(), e);
        }
        char[] none = new char[0];
        ks.setKeyEntry("key", key, none, chain.toArray(new X509Certificate[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, none);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx;
    }

    /**
     * A TLS context that trusts exactly the certificates in {@code trusted} (a private CA, or a
     * self-signed server certificate), for clients.
     * @param trusted PEM certificates to trust
     * @return a client context
     * @throws IOException unreadable or malformed file
     * @throws GeneralSecurityException a certificate the JDK's key store refuses
     */
    public static SSLContext trustingContext(Path trusted) throws IOException, GeneralSecurityException {
        KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        int i = 0;
        for (X509Certificate c : certificates(trusted)) ts.setCertificateEntry("trusted-" + i++, c);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    /** The base64 bodies of every {@code BEGIN label} block, decoded. */
    private static List<byte[]> blocks(String text, String label) throws IOException {
        String begin = "-----BEGIN " + label + "-----", end = "-----END " + label + "-----";
        List<byte[]> out = new ArrayList<>();
        for (int from = 0; ; ) {
            int b = text.indexOf(begin, from);
            if (b < 0) return out;
            int e = text.indexOf(end, b);
            if (e < 0) throw new IOException("unterminated " + begin);
            try {
                out.add(Base64.getMimeDecoder().decode(text.substring(b + begin.length(), e)));
            } catch (IllegalArgumentException bad) {
                throw new IOException("bad base64 in " + begin + " block: " + bad.getMessage());
            }
            from = e + end.length();
        }
    }
}
