package io.ffmepoll.bench.ffm;

import io.ffmepoll.bench.common.HttpHello;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * {@code FfmServer --proto http}: the "hello" protocol byte for byte, pipelining, requests
 * split across reads, and the 400/431 answers each followed by a close that leaves the server
 * serving new connections.
 */
class HttpServerTest {

    private static final byte[] OK = HttpHello.RESPONSE;
    private static final byte[] REQUEST = HttpHello.REQUEST;

    @RegisterExtension
    static final SharedServer server = new SharedServer("http", 2);

    @Test
    void singleRequestGetsTheFixedResponseAndKeepsTheConnection() {
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            try (Socket s = Wire.connect(server.port())) {
                for (int i = 0; i < 3; i++) {
                    s.getOutputStream().write(REQUEST);
                    Wire.expect(s.getInputStream(), OK, "keep-alive response " + i);
                }
            }
        });
    }

    @Test
    void hundredPipelinedRequestsInOneWriteAreAnsweredInOrder() {
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            try (Socket s = Wire.connect(server.port())) {
                s.getOutputStream().write(Wire.repeat(REQUEST, 100));
                Wire.expect(s.getInputStream(), Wire.repeat(OK, 100), "100 pipelined responses");
                assertEquals(0, s.getInputStream().available(), "bytes beyond the 100 responses");
                s.getOutputStream().write(REQUEST);
                Wire.expect(s.getInputStream(), OK, "request after the pipelined batch");
            }
        });
    }

    /**
     * Pieces cut inside the method, a header and the CRLFCRLF terminator itself, with pauses so
     * each arrives as its own read: nothing is answered before the last byte, then exactly once.
     */
    @Test
    void requestSplitAcrossWritesIncludingTheTerminatorIsAnsweredOnce() {
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            byte[] r = Wire.ascii("GET /split HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n");
            int[] cuts = {2, 17, 30, r.length - 3, r.length - 1, r.length};
            try (Socket s = Wire.connect(server.port())) {
                OutputStream out = s.getOutputStream();
                int from = 0;
                for (int cut : cuts) {
                    out.write(r, from, cut - from);
                    out.flush();
                    from = cut;
                    Thread.sleep(40);
                    if (cut < r.length) {
                        assertEquals(0, s.getInputStream().available(), "answer before the request ended at " + cut);
                    }
                }
                Wire.expect(s.getInputStream(), OK, "response to the split request");
                Thread.sleep(40);
                assertEquals(0, s.getInputStream().available(), "more than one response");
            }
        });
    }

    /** Requests cut at every byte of a 3-request pipeline still yield exactly 3 answers. */
    @Test
    void pipelineDribbledAcrossManySmallWritesKeepsRequestBoundaries() {
        assertTimeoutPreemptively(Duration.ofSeconds(15), () -> {
            byte[] three = Wire.repeat(REQUEST, 3);
            try (Socket s = Wire.connect(server.port())) {
                OutputStream out = s.getOutputStream();
                for (int off = 0; off < three.length; off += 7) {
                    out.write(three, off, Math.min(7, three.length - off));
                    out.flush();
                    Thread.sleep(3);
                }
                Wire.expect(s.getInputStream(), Wire.repeat(OK, 3), "3 dribbled responses");
            }
        });
    }

    @Test
    void malformedRequestLineGets400ThenCloseAndServerKeepsServing() {
        errorThenClose(Wire.ascii("HELLO\r\n\r\n"), HttpHello.BAD_REQUEST);
        errorThenClose(Wire.ascii("GET /\r\n\r\n"), HttpHello.BAD_REQUEST);
        errorThenClose(Wire.ascii("GET / FTP/1.1\r\n\r\n"), HttpHello.BAD_REQUEST);
    }

    @Test
    void requestWithBodyGets400ThenCloseAndServerKeepsServing() {
        errorThenClose(Wire.ascii("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"),
                HttpHello.BAD_REQUEST);
    }

    @Test
    void transferEncodingGets400ThenCloseAndServerKeepsServing() {
        errorThenClose(Wire.ascii("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
                HttpHello.BAD_REQUEST);
    }

    @Test
    void headerBlockOf9KiBGets431ThenCloseAndServerKeepsServing() {
        String big = "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + "a".repeat(9 * 1024) + "\r\n\r\n";
        errorThenClose(Wire.ascii(big), HttpHello.TOO_LARGE);
    }

    /** Over 8 KiB with no terminator yet: the server must not keep buffering, it answers 431. */
    @Test
    void unterminatedHeaderOver8KiBGets431WithoutWaitingForTheEnd() {
        String big = "GET / HTTP/1.1\r\nX-Big: " + "b".repeat(9 * 1024);
        errorThenClose(Wire.ascii(big), HttpHello.TOO_LARGE);
    }

    /** Exactly 8 KiB including CRLFCRLF is allowed; one byte more is not. */
    @Test
    void headerLimitIsExactly8KiBIncludingTheTerminator() {
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            String head = "GET / HTTP/1.1\r\nX-Fill: ";
            String atLimit = head + "c".repeat(HttpHello.MAX_HEADER - head.length() - 4) + "\r\n\r\n";
            assertEquals(HttpHello.MAX_HEADER, atLimit.length());
            try (Socket s = Wire.connect(server.port())) {
                s.getOutputStream().write(Wire.ascii(atLimit));
                Wire.expect(s.getInputStream(), OK, "response to an 8192-byte header block");
            }
        });
        String head = "GET / HTTP/1.1\r\nX-Fill: ";
        errorThenClose(Wire.ascii(head + "c".repeat(HttpHello.MAX_HEADER - head.length() - 3) + "\r\n\r\n"),
                HttpHello.TOO_LARGE);
    }

    /** Good requests before a bad one in the same write are answered first, in order. */
    @Test
    void pipelinedRequestsBeforeABadOneAreAnsweredThen400() {
        byte[] batch = concat(Wire.repeat(REQUEST, 2), Wire.ascii("BROKEN\r\n\r\n"));
        errorThenClose(batch, concat(Wire.repeat(OK, 2), HttpHello.BAD_REQUEST));
    }

    /** Content-Length: 0 announces no body: an ordinary request, not a 400. */
    @Test
    void contentLengthZeroIsAnOrdinaryRequest() {
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            try (Socket s = Wire.connect(server.port())) {
                s.getOutputStream().write(Wire.ascii("GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n"));
                Wire.expect(s.getInputStream(), OK, "response to Content-Length: 0");
                s.getOutputStream().write(REQUEST);
                Wire.expect(s.getInputStream(), OK, "the connection stays open");
            }
        });
    }

    /** Requests pipelined behind a Connection: close one are not answered; the close is clean. */
    @Test
    void requestsAfterConnectionCloseInAPipelineAreNotAnswered() {
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            byte[] batch = concat(concat(REQUEST, Wire.ascii("GET / HTTP/1.1\r\nConnection: close\r\n\r\n")),
                    Wire.repeat(REQUEST, 3));
            try (Socket s = Wire.connect(server.port())) {
                s.getOutputStream().write(batch);
                Wire.expect(s.getInputStream(), Wire.repeat(OK, 2), "answers up to the closing request");
                Wire.expectEof(s, "after the Connection: close answer");
            }
            stillServing();
        });
    }

    @Test
    void http10RequestIsAnsweredThenClosed() {
        closedAfterResponse("GET / HTTP/1.0\r\nHost: a\r\n\r\n");
    }

    @Test
    void connectionCloseHeaderIsAnsweredThenClosed() {
        closedAfterResponse("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    }

    /**
     * Header values are matched without the default locale: in a Turkish one, "KEEP-ALIVE"
     * lower-cased by {@code String.toLowerCase()} is "keep-alıve" (dotless i), so an HTTP/1.0
     * client asking for keep-alive in capitals was answered once and then closed.
     */
    @Test
    void keepAliveInCapitalsIsHonouredUnderATurkishDefaultLocale() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try (ServerProcess turkish = ServerProcess.start(List.of("-Duser.language=tr", "-Duser.country=TR"), "http", 1);
                 Socket s = Wire.connect(turkish.port())) {
                byte[] request = Wire.ascii("GET / HTTP/1.0\r\nHost: a\r\nConnection: KEEP-ALIVE\r\n\r\n");
                s.getOutputStream().write(concat(request, request));
                Wire.expect(s.getInputStream(), concat(OK, OK), "two keep-alive responses");
            }
        });
    }

    /**
     * 400,000 pipelined requests while the reader starts late: the 36 MiB of answers exceed the
     * reactor's output queue limit unless the handler stops reading while the peer does not
     * keep up. Every answer must still arrive, in order.
     */
    @Test
    void pipelinedFloodFromASlowReaderIsAnsweredCompletely() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            int n = 400_000;
            try (Socket s = Wire.connect(server.port());
                 ExecutorService writer = Executors.newSingleThreadExecutor()) {
                s.setSoTimeout(10_000);
                OutputStream out = s.getOutputStream();
                byte[] chunk = Wire.repeat(REQUEST, 1000);
                Future<?> sent = writer.submit(() -> {
                    for (int i = 0; i < n / 1000; i++) out.write(chunk);
                    return null;
                });
                Thread.sleep(700);   // let the server read (or refuse to read) ahead of us
                InputStream in = s.getInputStream();
                byte[] batch = Wire.repeat(OK, 1000);
                for (int i = 0; i < n / 1000; i++) Wire.expect(in, batch, "responses " + i * 1000 + "..");
                sent.get(10, TimeUnit.SECONDS);
            }
        });
    }

    private static void closedAfterResponse(String request) {
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            try (Socket s = Wire.connect(server.port())) {
                s.getOutputStream().write(Wire.ascii(request));
                Wire.expect(s.getInputStream(), OK, "response before the close");
                Wire.expectEof(s, "after the response");
            }
            stillServing();
        });
    }

    private static void errorThenClose(byte[] request, byte[] answer) {
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            try (Socket s = Wire.connect(server.port())) {
                s.getOutputStream().write(request);
                Wire.expect(s.getInputStream(), answer, "error answer");
                Wire.expectEof(s, "after the error answer");
            }
            stillServing();
        });
    }

    private static void stillServing() throws Exception {
        try (Socket s = Wire.connect(server.port())) {
            s.getOutputStream().write(REQUEST);
            Wire.expect(s.getInputStream(), OK, "new connection after a closed one");
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = new byte[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
