package io.ffmepoll.bench.ffm;

import io.ffmepoll.reactor.Connection;
import io.ffmepoll.reactor.Handler;
import io.ffmepoll.tls.TlsConnection;
import io.ffmepoll.tls.TlsHandler;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * HTTP/1.1 "hello": each request (a header block ending in CRLFCRLF, no body) gets the fixed
 * 200 response, in order, with keep-alive and pipelining. A header block over 8 KiB gets 431
 * and a close; a malformed request line, a body (Content-Length &gt; 0) or Transfer-Encoding
 * gets 400 and a close. At most 8 KiB of a partial request is kept per connection, and reading
 * pauses while answers queue past the high watermark, so a client that pipelines faster than
 * it reads cannot grow the output queue to the reactor's limit (which would fail the handler).
 * <p>The same handler serves plain TCP ({@link Handler}) and TLS ({@link TlsHandler}): the
 * protocol code talks to an {@link Out} made once per connection in {@code onOpen}.
 */
final class HttpHandler implements Handler, TlsHandler {

    /** What the protocol needs from a connection, plain or TLS. */
    private sealed interface Out {
        boolean write(MemorySegment data);

        void close();

        void pauseReading();
    }

    private record Plain(Connection c) implements Out {
        public boolean write(MemorySegment data) {
            return c.write(data);
        }

        public void close() {
            c.close();
        }

        public void pauseReading() {
            c.pauseReading();
        }
    }

    private record Secure(TlsConnection c) implements Out {
        public boolean write(MemorySegment data) {
            return c.write(data);
        }

        public void close() {
            c.close();
        }

        public void pauseReading() {
            c.pauseReading();
        }
    }

    static final int MAX_HEADER = 8 * 1024;
    private static final byte[] OK = ("HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\n"
            + "Hello, World!").getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TOO_LARGE = ("HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\n"
            + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    private static final byte[] BAD = ("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    /** 32 responses back to back in native memory: a pipelined burst is one write. */
    private static final int BURST = 32;
    private static final MemorySegment OKS;
    static {
        MemorySegment s = Arena.global().allocate((long) OK.length * BURST);
        for (int i = 0; i < BURST; i++) MemorySegment.copy(OK, 0, s, ValueLayout.JAVA_BYTE, (long) i * OK.length, OK.length);
        OKS = s;
    }
    /** Per loop thread: the pending bytes plus one read, for scanning on the heap. */
    private static final ThreadLocal<byte[]> WORK = ThreadLocal.withInitial(() -> new byte[MAX_HEADER + 64 * 1024]);

    private static final MemorySegment TOO_LARGE_SEGMENT = MemorySegment.ofArray(TOO_LARGE);
    private static final MemorySegment BAD_SEGMENT = MemorySegment.ofArray(BAD);

    private byte[] pending;     // an incomplete request, at most MAX_HEADER bytes
    private int pendingLength;
    private Out out;
    /** The loop thread's scan buffer, looked up once: a connection stays on its loop. */
    private byte[] work;

    @Override
    public void onOpen(Connection c) {
        out = new Plain(c);
        work = WORK.get();
    }

    @Override
    public void onOpen(TlsConnection c) {
        out = new Secure(c);
        work = WORK.get();
    }

    @Override
    public void onRead(Connection c, MemorySegment data) {
        onRead(out, data);
    }

    @Override
    public void onRead(TlsConnection c, MemorySegment data) {
        onRead(out, data);
    }

    @Override
    public void onWritabilityChanged(Connection c, boolean writable) {
        if (writable) c.resumeReading();
    }

    @Override
    public void onWritabilityChanged(TlsConnection c, boolean writable) {
        if (writable) c.resumeReading();
    }

    private void onRead(Out c, MemorySegment data) {
        byte[] work = this.work;
        int len = pendingLength;
        int n = (int) data.byteSize();
        if (len + n > work.length) {   // a read larger than the scan buffer: treat as an oversized header
            fail(c, TOO_LARGE_SEGMENT);
            return;
        }
        if (len > 0) System.arraycopy(pending, 0, work, 0, len);
        MemorySegment.copy(data, ValueLayout.JAVA_BYTE, 0, work, 0 + len, n);
        len += n;
        pendingLength = 0;

        int start = 0;
        int answers = 0;
        boolean closeAfter = false;
        // Resume the CRLFCRLF search just before the new bytes: the terminator may straddle reads.
        int scan = Math.max(0, len - n - 3);
        while (true) {
            int end = find(work, Math.max(start, scan), len);
            if (end < 0) break;
            int blockEnd = end + 4;
            if (blockEnd - start > MAX_HEADER) {
                respond(c, answers);
                fail(c, TOO_LARGE_SEGMENT);
                return;
            }
            int verdict = check(work, start, blockEnd);
            if (verdict == BAD_REQUEST) {
                respond(c, answers);
                fail(c, BAD_SEGMENT);
                return;
            }
            answers++;
            start = blockEnd;
            if (verdict == CLOSE) {
                closeAfter = true;
                break;
            }
        }
        respond(c, answers);
        if (closeAfter) {
            c.close();
            return;
        }
        int rest = len - start;
        if (rest > MAX_HEADER) {
            fail(c, TOO_LARGE_SEGMENT);
            return;
        }
        if (rest > 0) {
            if (pending == null) pending = new byte[MAX_HEADER];
            System.arraycopy(work, start, pending, 0, rest);
            pendingLength = rest;
        }
    }

    private static void respond(Out c, int count) {
        boolean writable = true;
        while (count > 0) {
            int k = Math.min(count, BURST);
            writable = c.write(OKS.asSlice(0, (long) k * OK.length));
            count -= k;
        }
        // One read's answers are always written (at most 64 KiB of requests); no further read
        // until the peer has taken them.
        if (!writable) c.pauseReading();
    }

    private void fail(Out c, MemorySegment response) {
        pendingLength = 0;
        pending = null;
        c.write(response);
        c.close();
    }

    /** Index of the next CRLFCRLF in {@code b[from, to)}, or -1. */
    private static int find(byte[] b, int from, int to) {
        for (int i = from; i + 3 < to; i++) {
            if (b[i + 3] == '\n' && b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r') return i;
        }
        return -1;
    }

    private static final int KEEP = 0, CLOSE = 1, BAD_REQUEST = 2;

    /** Checks one header block {@code b[start, end)} (ending in CRLFCRLF). */
    private static int check(byte[] b, int start, int end) {
        int lineEnd = lineEnd(b, start, end);
        // Request line: METHOD SP TARGET SP HTTP/1.x
        int i = start;
        while (i < lineEnd && b[i] >= 'A' && b[i] <= 'Z') i++;
        if (i == start || i >= lineEnd || b[i] != ' ') return BAD_REQUEST;
        int target = ++i;
        while (i < lineEnd && b[i] > ' ' && b[i] < 127) i++;
        if (i == target || i >= lineEnd || b[i] != ' ') return BAD_REQUEST;
        i++;
        if (lineEnd - i != 8 || !startsWith(b, i, "HTTP/1.") || b[i + 7] < '0' || b[i + 7] > '9') return BAD_REQUEST;
        boolean http10 = b[i + 7] == '0';
        boolean close = http10;
        // Header lines
        int line = lineEnd + 2;
        while (line < end - 2) {
            int le = lineEnd(b, line, end);
            int colon = -1;
            for (int k = line; k < le; k++) {
                if (b[k] == ':') {
                    colon = k;
                    break;
                }
            }
            if (colon <= line) return BAD_REQUEST;
            if (nameIs(b, line, colon, "content-length")) {
                long v = 0;
                boolean digits = false;
                for (int k = colon + 1; k < le; k++) {
                    byte x = b[k];
                    if (x == ' ' || x == '\t') continue;
                    if (x < '0' || x > '9' || v > 1_000_000_000L) return BAD_REQUEST;
                    v = v * 10 + (x - '0');
                    digits = true;
                }
                if (!digits || v > 0) return BAD_REQUEST;
            } else if (nameIs(b, line, colon, "transfer-encoding")) {
                return BAD_REQUEST;
            } else if (nameIs(b, line, colon, "connection")) {
                // ASCII case folding, not String.toLowerCase(): in a Turkish default locale that
                // makes "KEEP-ALIVE" "keep-alıve".
                if (contains(b, colon + 1, le, "close")) close = true;
                else if (contains(b, colon + 1, le, "keep-alive")) close = false;
            }
            line = le + 2;
        }
        return close ? CLOSE : KEEP;
    }

    private static int lineEnd(byte[] b, int from, int end) {
        for (int i = from; i + 1 < end; i++) {
            if (b[i] == '\r' && b[i + 1] == '\n') return i;
        }
        return end - 2;
    }

    private static boolean startsWith(byte[] b, int at, String s) {
        for (int k = 0; k < s.length(); k++) if (b[at + k] != s.charAt(k)) return false;
        return true;
    }

    private static boolean nameIs(byte[] b, int from, int to, String lower) {
        return to - from == lower.length() && matchesAt(b, from, lower);
    }

    /** Whether {@code b[from, to)} contains {@code lower}, ignoring ASCII case. */
    private static boolean contains(byte[] b, int from, int to, String lower) {
        for (int i = from; i + lower.length() <= to; i++) {
            if (matchesAt(b, i, lower)) return true;
        }
        return false;
    }

    /** Whether {@code lower} starts at {@code b[at]}, ignoring ASCII case. */
    private static boolean matchesAt(byte[] b, int at, String lower) {
        for (int k = 0; k < lower.length(); k++) {
            int x = b[at + k];
            if (x >= 'A' && x <= 'Z') x += 32;
            if (x != lower.charAt(k)) return false;
        }
        return true;
    }
}
