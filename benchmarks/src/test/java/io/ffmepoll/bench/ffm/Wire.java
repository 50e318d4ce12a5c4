package io.ffmepoll.bench.ffm;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Blocking loopback client helpers with bounded waits: every read has a timeout. */
final class Wire {

    static final int TIMEOUT_MS = 5000;

    private Wire() {}

    static Socket connect(int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), TIMEOUT_MS);
        s.setSoTimeout(TIMEOUT_MS);
        s.setTcpNoDelay(true);
        return s;
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** Bytes that differ between neighbours and between seeds, so a shifted or mixed stream shows. */
    static byte[] pattern(int size, int seed) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) b[i] = (byte) (i * 31 + (i >>> 8) + seed * 7);
        return b;
    }

    static byte[] repeat(byte[] b, int n) {
        byte[] r = new byte[b.length * n];
        for (int i = 0; i < n; i++) System.arraycopy(b, 0, r, i * b.length, b.length);
        return r;
    }

    /** Reads exactly {@code n} bytes or fails (EOF or timeout). */
    static byte[] readExactly(InputStream in, int n, String what) throws IOException {
        byte[] got = new byte[n];
        int off = 0;
        try {
            while (off < n) {
                int r = in.read(got, off, n - off);
                if (r < 0) fail(what + ": connection closed after " + off + " of " + n + " bytes");
                off += r;
            }
        } catch (SocketTimeoutException e) {
            fail(what + ": only " + off + " of " + n + " bytes within " + TIMEOUT_MS + " ms");
        }
        return got;
    }

    /** Reads {@code want.length} bytes and requires them equal to {@code want}. */
    static void expect(InputStream in, byte[] want, String what) throws IOException {
        assertSame(want, readExactly(in, want.length, what), what);
    }

    static void assertSame(byte[] want, byte[] got, String what) {
        int at = Arrays.mismatch(want, got);
        if (at >= 0) {
            fail(what + ": first difference at byte " + at + " of " + want.length + " (want '" + show(want, at)
                    + "', got '" + show(got, at) + "')");
        }
    }

    /** Requires the peer to close: the next read returns -1 within the socket timeout. */
    static void expectEof(Socket s, String what) throws IOException {
        try {
            assertEquals(-1, s.getInputStream().read(), what + ": more bytes instead of a close");
        } catch (SocketTimeoutException e) {
            fail(what + ": connection still open " + TIMEOUT_MS + " ms later");
        }
    }

    private static String show(byte[] b, int at) {
        int from = Math.max(0, at - 8);
        int to = Math.min(b.length, at + 24);
        if (from >= to) return "";
        return new String(b, from, to - from, StandardCharsets.ISO_8859_1).replace("\r", "\\r").replace("\n", "\\n");
    }
}
