package io.ffmepoll.bench.compare;

import io.ffmepoll.bench.common.Args;
import io.ffmepoll.bench.common.HttpHello;
import io.ffmepoll.bench.common.ServerTls;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The correctness gate every server passes before it is timed: echo round trips of several
 * sizes and one pipelined batch, or HTTP requests answered byte for byte including a pipelined
 * batch and a request split across two writes. The HTTP error answers (400, 431) are checked
 * too but only reported, not held against the timing.
 */
public final class Check {

    /** Outcome: {@code failures} disqualify, {@code warnings} are reported only. */
    public record Outcome(List<String> failures, List<String> warnings) {
        public boolean passed() {
            return failures.isEmpty();
        }
    }

    private static final int TIMEOUT_MS = 3000;

    private Check() {
    }

    /** Runs the checks for {@code proto} against a server on 127.0.0.1:{@code port}. */
    public static Outcome run(int port, String proto) {
        List<String> failures = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        InetSocketAddress addr = new InetSocketAddress("127.0.0.1", port);
        if (proto.equals("tls-echo")) {
            attempt(failures, "TLS echo round trips", () -> {
                try (javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) ServerTls.trustingAnything().getSocketFactory()
                        .createSocket(addr.getAddress(), addr.getPort())) {
                    s.setSoTimeout(5 * TIMEOUT_MS);   // a cold JVM's first handshake loads and compiles the TLS stack
                    for (int size : new int[] {1, 64, 4096, 100_000}) {
                        byte[] m = pattern(size, size);
                        s.getOutputStream().write(m);
                        expect(s.getInputStream(), m, "TLS echo of " + size + " bytes");
                    }
                    if (!"TLSv1.3".equals(s.getSession().getProtocol())) throw new IOException("negotiated " + s.getSession().getProtocol());
                }
            });
        } else if (proto.equals("echo")) {
            attempt(failures, "echo round trips", () -> {
                try (Socket s = connect(addr)) {
                    for (int size : new int[] {1, 64, 4096, 100_000}) {
                        byte[] m = pattern(size, size);
                        s.getOutputStream().write(m);
                        expect(s.getInputStream(), m, "echo of " + size + " bytes");
                    }
                }
            });
            attempt(failures, "echo pipelined batch", () -> {
                try (Socket s = connect(addr)) {
                    byte[] batch = pattern(10 * 64, 3);
                    s.getOutputStream().write(batch);
                    expect(s.getInputStream(), batch, "10 pipelined 64-byte messages");
                }
            });
        } else {
            attempt(failures, "http request", () -> {
                try (Socket s = connect(addr)) {
                    for (int i = 0; i < 3; i++) {
                        s.getOutputStream().write(HttpHello.REQUEST);
                        expect(s.getInputStream(), HttpHello.RESPONSE, "keep-alive response " + (i + 1));
                    }
                }
            });
            attempt(failures, "http pipelined batch", () -> {
                try (Socket s = connect(addr)) {
                    byte[] batch = repeat(HttpHello.REQUEST, 16);
                    s.getOutputStream().write(batch);
                    expect(s.getInputStream(), repeat(HttpHello.RESPONSE, 16), "16 pipelined responses");
                }
            });
            attempt(failures, "http request split across writes", () -> {
                try (Socket s = connect(addr)) {
                    byte[] r = "GET /x HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
                    OutputStream out = s.getOutputStream();
                    out.write(r, 0, 20);
                    out.flush();
                    Thread.sleep(50);
                    out.write(r, 20, r.length - 20);
                    expect(s.getInputStream(), HttpHello.RESPONSE, "response to a split request");
                }
            });
            attempt(warnings, "400 on a malformed request line", () -> errorAnswer(addr,
                    "HELLO\r\n\r\n".getBytes(StandardCharsets.US_ASCII), HttpHello.BAD_REQUEST));
            attempt(warnings, "400 on a request with a body", () -> errorAnswer(addr,
                    "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello".getBytes(StandardCharsets.US_ASCII),
                    HttpHello.BAD_REQUEST));
            attempt(warnings, "431 on a header block over 8 KiB", () -> {
                String big = "GET / HTTP/1.1\r\nX-Big: " + "a".repeat(9000) + "\r\n\r\n";
                errorAnswer(addr, big.getBytes(StandardCharsets.US_ASCII), HttpHello.TOO_LARGE);
            });
        }
        return new Outcome(failures, warnings);
    }

    private interface Step {
        void run() throws Exception;
    }

    private static void attempt(List<String> into, String name, Step step) {
        try {
            step.run();
        } catch (SocketTimeoutException e) {
            into.add(name + ": no complete answer in time (" + e.getMessage() + ")");
        } catch (Exception e) {
            into.add(name + ": " + e.getMessage());
        }
    }

    private static Socket connect(InetSocketAddress addr) throws IOException {
        Socket s = new Socket();
        s.connect(addr, TIMEOUT_MS);
        s.setSoTimeout(TIMEOUT_MS);
        s.setTcpNoDelay(true);
        return s;
    }

    private static void errorAnswer(InetSocketAddress addr, byte[] request, byte[] answer) throws IOException {
        try (Socket s = connect(addr)) {
            s.getOutputStream().write(request);
            expect(s.getInputStream(), answer, "error response");
            int more = s.getInputStream().read();
            if (more != -1) throw new IOException("connection not closed after the error response");
        }
    }

    static byte[] pattern(int size, int seed) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) b[i] = (byte) (i * 13 + seed);
        return b;
    }

    /** {@code b} {@code n} times back to back. */
    public static byte[] repeat(byte[] b, int n) {
        byte[] r = new byte[b.length * n];
        for (int i = 0; i < n; i++) System.arraycopy(b, 0, r, i * b.length, b.length);
        return r;
    }

    private static void expect(InputStream in, byte[] want, String what) throws IOException {
        byte[] got = new byte[want.length];
        int n = 0;
        while (n < got.length) {
            int r = in.read(got, n, got.length - n);
            if (r < 0) throw new IOException(what + ": connection closed after " + n + " of " + want.length + " bytes");
            n += r;
        }
        int at = Arrays.mismatch(got, want);
        if (at >= 0) {
            throw new IOException(what + ": byte " + at + " differs (got '" + printable(got, at) + "', want '"
                    + printable(want, at) + "')");
        }
    }

    private static String printable(byte[] b, int at) {
        int from = Math.max(0, at - 8);
        int to = Math.min(b.length, at + 16);
        return new String(b, from, to - from, StandardCharsets.ISO_8859_1).replace("\r", "\\r").replace("\n", "\\n");
    }

    /**
     * {@code bench check --impl I [--proto P]}: starts the server, checks it, stops it. Exits 0 when
     * every check passed, 1 when one failed, 3 when the implementation cannot run on this machine.
     */
    public static void main(String[] argv) throws Exception {
        Args a = new Args(argv);
        String impl = a.get("impl", null);
        if (impl == null) {
            System.err.println("bench check: --impl ffm|ffm-shared|nio|netty|netty-uring|vthreads|ffm-vthreads|c is required");
            System.exit(2);
        }
        List<String> protos = a.get("proto", null) == null ? List.of("echo", "http") : List.of(a.get("proto", ""));
        boolean ok = true;
        boolean unavailable = false;
        for (String proto : protos) {
            Servers.Running srv;
            try {
                srv = Servers.start(impl, proto, (int) a.number("loops", 1), false);
            } catch (Servers.Unavailable e) {
                System.out.println(impl + " " + proto + ": not available here (" + e.getMessage() + ")");
                unavailable = true;
                continue;
            } catch (IOException e) {
                System.out.println(impl + " " + proto + ": FAIL (" + e.getMessage() + ")");
                ok = false;
                continue;
            }
            try {
                Outcome o = run(srv.port(), proto);
                System.out.println(impl + " " + proto + ": " + (o.passed() ? "ok" : "FAIL"));
                for (String f : o.failures()) System.out.println("  failure: " + f);
                for (String w : o.warnings()) System.out.println("  warning: " + w);
                ok &= o.passed();
            } finally {
                srv.stop();
            }
        }
        System.exit(!ok ? 1 : unavailable ? io.ffmepoll.bench.servers.NettyServer.UNAVAILABLE : 0);
    }
}
