package io.ffmepoll.codec;

import io.ffmepoll.reactor.Connection;
import io.ffmepoll.reactor.Net;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Framing on real loopback connections: splits, batches, limits and truncation. */
class FramedTest {

    private static final Duration LIMIT = Duration.ofSeconds(30);

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static int[] everyByte(int length) {
        return IntStream.range(1, length).toArray();
    }

    /** The line echo example answers each line whole, though every byte arrives in its own read. */
    @Test
    void lineEchoAnswersLinesSplitAtEveryByte() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (FramedServer server = FramedServer.serving(LineEcho.LINES, new LineEcho());
                 Socket s = server.connect()) {
                byte[] text = ascii("hello\r\nepoll\n\nthe last line\n");
                server.writeInPieces(s, text, everyByte(text.length));
                assertArrayEquals(text, Net.readFully(s.getInputStream(), text.length));
                assertEquals(List.of("hello\r\n", "epoll\n", "\n", "the last line\n"),
                        server.frames.stream().map(b -> new String(b, StandardCharsets.US_ASCII)).toList());
            }
        });
    }

    /** Length-prefixed frames, every byte in its own read: headers and payloads split everywhere. */
    @Test
    void lengthPrefixedFramesSplitAtEveryByte() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (FramedServer server = FramedServer.serving(LengthPrefixed.FRAMES, new LengthPrefixed());
                 Socket s = server.connect()) {
                ByteArrayOutputStream wire = new ByteArrayOutputStream();
                ByteArrayOutputStream expected = new ByteArrayOutputStream();
                for (String p : new String[] {"abc", "", "x", "framing"}) {
                    wire.writeBytes(LengthPrefixed.encode(ascii(p)));
                    expected.writeBytes(LengthPrefixed.encode(ascii(new StringBuilder(p).reverse().toString())));
                }
                byte[] bytes = wire.toByteArray();
                server.writeInPieces(s, bytes, everyByte(bytes.length));
                assertArrayEquals(expected.toByteArray(), Net.readFully(s.getInputStream(), expected.size()));
                assertEquals(4, server.frames.size());
            }
        });
    }

    /** Many frames in one read are each delivered, in order, straight from the read. */
    @Test
    void manyFramesInOneReadAreEachDelivered() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (FramedServer server = FramedServer.serving(FrameDecoder.lengthField(2, 1024).withStrip(2), null);
                 Socket s = server.connect()) {
                ByteArrayOutputStream wire = new ByteArrayOutputStream();
                int count = 500;
                for (int i = 0; i < count; i++) {
                    byte[] p = ascii("frame " + i);
                    wire.write(p.length >> 8);
                    wire.write(p.length);
                    wire.writeBytes(p);
                }
                byte[] bytes = wire.toByteArray();
                server.writeInPieces(s, bytes, new int[0]);   // one write, one read
                server.awaitFrames(count);
                assertEquals(count, server.frames.size());
                for (int i = 0; i < count; i++) assertEquals("frame " + i, new String(server.frames.get(i), StandardCharsets.US_ASCII));
            }
        });
    }

    /** A line longer than the maximum closes the connection with the reason, before the rest is buffered. */
    @Test
    void lineOverTheMaximumClosesWithFrameTooLong() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (FramedServer server = FramedServer.serving(FrameDecoder.lines(16), null);
                 Socket s = server.connect()) {
                OutputStream out = s.getOutputStream();
                out.write(ascii("short\nthis line has no end and is far too long"));
                out.flush();
                Throwable cause = server.closeCause();
                FrameTooLongException e = assertInstanceOf(FrameTooLongException.class, cause);
                assertTrue(e.getMessage().contains("no end of frame within"), e.getMessage());
                assertEquals(-1, s.getInputStream().read(), "the server closed");
                assertEquals(List.of("short"), server.frames.stream().map(b -> new String(b, StandardCharsets.US_ASCII)).toList());
            }
        });
    }

    /** A length field announcing more than the maximum is refused as soon as the header is read. */
    @Test
    void lengthFieldOverTheMaximumIsRefusedAtItsHeader() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (FramedServer server = FramedServer.serving(FrameDecoder.lengthField(4, 1000), null);
                 Socket s = server.connect()) {
                server.writeInPieces(s, new byte[] {0, 0, 0x10, 0}, new int[0]);   // 4096 bytes announced, none sent
                Throwable cause = server.closeCause();
                assertInstanceOf(FrameTooLongException.class, cause);
                assertTrue(cause.getMessage().contains("4100"), cause.getMessage());
            }
        });
    }

    /** Input that ends inside a frame is reported, with how much of it came. */
    @Test
    void endOfInputInsideAFrameIsReported() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (FramedServer server = FramedServer.serving(FrameDecoder.lengthField(4, 1000), null);
                 Socket s = server.connect()) {
                byte[] frame = LengthPrefixed.encode(ascii("0123456789"));
                server.writeInPieces(s, java.util.Arrays.copyOf(frame, 9), new int[] {3});
                s.shutdownOutput();
                Throwable cause = server.closeCause();
                TruncatedFrameException e = assertInstanceOf(TruncatedFrameException.class, cause);
                assertTrue(e.getMessage().contains("9 bytes received, at least 14 needed"), e.getMessage());
                assertTrue(server.frames.isEmpty());
            }
        });
    }

    /** A partial line at the end of input is reported too; whole lines before it were delivered. */
    @Test
    void endOfInputInsideALineIsReported() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (FramedServer server = FramedServer.serving(FrameDecoder.lines(100), null);
                 Socket s = server.connect()) {
                server.writeInPieces(s, ascii("one\ntw"), new int[0]);
                s.shutdownOutput();
                TruncatedFrameException e = assertInstanceOf(TruncatedFrameException.class, server.closeCause());
                assertTrue(e.getMessage().contains("2 bytes received, no end of frame"), e.getMessage());
                assertEquals(1, server.frames.size());
            }
        });
    }

    /** End of input between frames is an orderly end: the handler's onEndOfInput closes. */
    @Test
    void endOfInputBetweenFramesIsOrderly() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (FramedServer server = FramedServer.serving(FrameDecoder.fixedLength(3), null);
                 Socket s = server.connect()) {
                server.writeInPieces(s, ascii("abcdef"), new int[] {1, 4});
                s.shutdownOutput();
                assertEquals(FramedServer.ORDERLY, server.closeCause());
                assertEquals(2, server.frames.size());
            }
        });
    }

    /**
     * A handler that takes one frame at a time (pauses after each, resumes from a task) gets
     * every frame of a read that held many, in order, each after the previous one's resume.
     */
    @Test
    void framesLeftByAPauseAreDeliveredOnResume() {
        assertTimeoutPreemptively(LIMIT, () -> {
            AtomicInteger inFlight = new AtomicInteger();
            AtomicInteger overlaps = new AtomicInteger();
            FrameHandler oneAtATime = (c, frame) -> {
                if (inFlight.incrementAndGet() != 1) overlaps.incrementAndGet();
                c.pauseReading();
                c.write(frame);
                c.loop().execute(() -> {   // "the reply is ready": next request
                    inFlight.decrementAndGet();
                    Framed.resumeReading(c);
                });
            };
            try (FramedServer server = FramedServer.serving(FrameDecoder.lines(64, false), oneAtATime);
                 Socket s = server.connect()) {
                StringBuilder text = new StringBuilder();
                for (int i = 0; i < 50; i++) text.append("line ").append(i).append('\n');
                byte[] bytes = ascii(text.toString());
                server.writeInPieces(s, bytes, new int[] {bytes.length / 2 + 3});   // ends mid-line
                assertArrayEquals(bytes, Net.readFully(s.getInputStream(), bytes.length));
                assertEquals(50, server.frames.size());
                assertEquals(0, overlaps.get(), "a frame arrived while the handler was paused");
            }
        });
    }

    /** Backpressure through the line echo: a client that sends much before reading still gets it all back. */
    @Test
    void lineEchoUnderBackpressureLosesNothing() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (FramedServer server = FramedServer.serving(LineEcho.LINES, new LineEcho());
                 Socket s = server.connect()) {
                StringBuilder text = new StringBuilder();
                for (int i = 0; text.length() < 1_000_000; i++) text.append("a line of echo number ").append(i).append('\n');
                byte[] bytes = ascii(text.toString());
                Thread writer = Thread.ofPlatform().start(() -> {
                    try {
                        s.getOutputStream().write(bytes);
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                InputStream in = s.getInputStream();
                assertArrayEquals(bytes, Net.readFully(in, bytes.length));
                writer.join();
            }
        });
    }

    /** One Framed holds one connection's partial frame: sharing it is refused, not silently mixed. */
    @Test
    void oneFramedSharedByTwoConnectionsIsRefused() {
        assertTimeoutPreemptively(LIMIT, () -> {
            java.util.concurrent.CompletableFuture<Throwable> refused = new java.util.concurrent.CompletableFuture<>();
            AtomicInteger frames = new AtomicInteger();
            Framed shared = new Framed(FrameDecoder.lines(10, false), new FrameHandler() {
                @Override
                public void onFrame(Connection c, MemorySegment frame) {
                    frames.incrementAndGet();
                    c.write(frame);
                }

                @Override
                public void onClose(Connection c, Throwable cause) {
                    refused.complete(cause);
                }
            });
            try (var r = Net.small().loops(1).build();
                 var l = r.listen(new java.net.InetSocketAddress("127.0.0.1", 0), () -> shared);
                 Socket a = Net.connect(l.port());
                 Socket b = Net.connect(l.port())) {
                assertEquals(-1, b.getInputStream().read(), "the second connection is closed");
                assertInstanceOf(IllegalStateException.class, refused.get(10, java.util.concurrent.TimeUnit.SECONDS));
                // The first one is unharmed, its partial frame buffer included.
                long read = r.loops().get(0).counters().bytesRead();
                a.getOutputStream().write(ascii("sti"));
                while (r.loops().get(0).counters().bytesRead() < read + 3) Thread.sleep(1);
                a.getOutputStream().write(ascii("ll\n"));
                assertArrayEquals(ascii("still\n"), Net.readFully(a.getInputStream(), 6));
            }
        });
    }

    /** A FrameHandler registered without Framed fails at its first read with a message saying why. */
    @Test
    void frameHandlerWithoutFramedSaysHowToServeIt() {
        FrameHandler h = (c, f) -> {};
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> h.onRead(null, MemorySegment.NULL));
        assertTrue(e.getMessage().contains("new Framed"), e.getMessage());
    }
}
