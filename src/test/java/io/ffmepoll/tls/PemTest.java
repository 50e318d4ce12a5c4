package io.ffmepoll.tls;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** PEM files read with the JDK's parsers; formats it does not read are refused with the command that converts them. */
class PemTest {

    @Test
    void certificateAndPkcs8KeyReadBackAsWritten() throws Exception {
        TestCerts c = TestCerts.get();
        assertEquals(c.cert, Pem.certificates(c.certPem).getFirst());
        assertArrayEquals(c.key.getEncoded(), Pem.privateKey(c.keyPem).getEncoded());
        assertEquals("EC", Pem.privateKey(c.keyPem).getAlgorithm());
    }

    @Test
    void traditionalKeyFormatIsRefusedWithTheConversionCommand(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("rsa.pem");
        Files.writeString(f, "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n");
        IOException e = assertThrows(IOException.class, () -> Pem.privateKey(f));
        assertTrue(e.getMessage().contains("openssl pkcs8 -topk8"), e.getMessage());
    }

    @Test
    void fileWithoutACertificateIsRefused(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("empty.pem");
        Files.writeString(f, "nothing here\n");
        IOException e = assertThrows(IOException.class, () -> Pem.certificates(f));
        assertTrue(e.getMessage().contains("no BEGIN CERTIFICATE"), e.getMessage());
    }
}
