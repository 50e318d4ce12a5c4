package io.ffmepoll.bench.common;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The HTTP "hello" protocol every benchmark server speaks: one fixed response per request,
 * requests end at CRLFCRLF, no bodies. Kept in one place so the Java servers and the load
 * generator agree byte for byte (the C server carries the same rules in c/server.c).
 */
public final class HttpHello {

    /** The one successful response. */
    public static final byte[] RESPONSE = ascii(
            "HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nHello, World!");
    /** Sent, then the connection is closed, when a header block exceeds {@link #MAX_HEADER}. */
    public static final byte[] TOO_LARGE = ascii(
            "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    /** Sent, then the connection is closed, for a malformed request or one carrying a body. */
    public static final byte[] BAD_REQUEST = ascii(
            "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    /** The request the load generator sends. */
    public static final byte[] REQUEST = ascii("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    /** Largest accepted header block, terminator included. */
    public static final int MAX_HEADER = 8192;

    /** {@link #parse} result: the bytes so far are a valid prefix, read more. */
    public static final int INCOMPLETE = 0;
    /** {@link #parse} result: answer {@link #BAD_REQUEST} and close. */
    public static final int BAD = -1;
    /** {@link #parse} result: answer {@link #TOO_LARGE} and close. */
    public static final int HEADER_TOO_LARGE = -2;

    private HttpHello() {
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Looks at one request starting at {@code start} in {@code b} (absolute indices, the
     * buffer's position and limit are not used or changed).
     *
     * @return the length of a complete valid request, {@link #INCOMPLETE}, {@link #BAD} or
     *         {@link #HEADER_TOO_LARGE}
     */
    public static int parse(ByteBuffer b, int start, int end) {
        int scanEnd = Math.min(end, start + MAX_HEADER);
        int blockEnd = -1;
        for (int i = start + 3; i < scanEnd; i++) {
            if (b.get(i) == '\n' && b.get(i - 1) == '\r' && b.get(i - 2) == '\n' && b.get(i - 3) == '\r') {
                blockEnd = i + 1;
                break;
            }
        }
        if (blockEnd < 0) {
            return end - start >= MAX_HEADER ? HEADER_TOO_LARGE : INCOMPLETE;
        }
        int p = requestLine(b, start, blockEnd);
        if (p < 0) return BAD;
        // Header lines until the empty line that ends the block.
        while (p < blockEnd - 2) {
            int eol = p;
            while (b.get(eol) != '\r' || b.get(eol + 1) != '\n') eol++;
            int colon = -1;
            for (int i = p; i < eol; i++) {
                if (b.get(i) == ':') {
                    colon = i;
                    break;
                }
            }
            if (colon <= p) return BAD;
            for (int i = p; i < colon; i++) {
                byte c = b.get(i);
                if (c <= ' ' || c >= 127) return BAD;
            }
            if (nameIs(b, p, colon, "content-length")) {
                long v = 0;
                int i = colon + 1;
                while (i < eol && (b.get(i) == ' ' || b.get(i) == '\t')) i++;
                int digits = 0;
                while (i < eol && b.get(i) >= '0' && b.get(i) <= '9') {
                    v = Math.min(v * 10 + (b.get(i) - '0'), 1L << 40);
                    i++;
                    digits++;
                }
                while (i < eol && (b.get(i) == ' ' || b.get(i) == '\t')) i++;
                if (digits == 0 || i != eol || v > 0) return BAD;
            } else if (nameIs(b, p, colon, "transfer-encoding")) {
                return BAD;
            }
            p = eol + 2;
        }
        return blockEnd - start;
    }

    /** METHOD SP target SP HTTP/1.d CRLF; returns the index after the CRLF or -1. */
    private static int requestLine(ByteBuffer b, int p, int end) {
        int m = p;
        while (m < end && b.get(m) >= 'A' && b.get(m) <= 'Z') m++;
        if (m == p || m >= end || b.get(m) != ' ') return -1;
        int t = m + 1;
        while (t < end && b.get(t) > ' ' && b.get(t) < 127) t++;
        if (t == m + 1 || t >= end || b.get(t) != ' ') return -1;
        int v = t + 1;
        if (v + 10 > end) return -1;
        byte[] version = {'H', 'T', 'T', 'P', '/', '1', '.'};
        for (int i = 0; i < version.length; i++) {
            if (b.get(v + i) != version[i]) return -1;
        }
        byte d = b.get(v + 7);
        if (d < '0' || d > '9' || b.get(v + 8) != '\r' || b.get(v + 9) != '\n') return -1;
        return v + 10;
    }

    private static boolean nameIs(ByteBuffer b, int from, int to, String lower) {
        if (to - from != lower.length()) return false;
        for (int i = 0; i < lower.length(); i++) {
            int c = b.get(from + i);
            if (c >= 'A' && c <= 'Z') c += 32;
            if (c != lower.charAt(i)) return false;
        }
        return true;
    }
}
