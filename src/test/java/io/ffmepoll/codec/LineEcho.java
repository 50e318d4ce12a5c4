package io.ffmepoll.codec;

import io.ffmepoll.reactor.Connection;
import io.ffmepoll.reactor.Listener;
import io.ffmepoll.reactor.Reactor;

import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;

/**
 * The articles' line echo server (a C++ epoll loop reading up to {@code MAX_LINE_LEN} bytes and
 * writing them back) done with framing: each whole line is echoed with its line end, however the
 * peer's writes split it; a line over the maximum closes the connection.
 * <p>Run: {@code java --enable-native-access=io.ffmepoll ... io.ffmepoll.codec.LineEcho 7000},
 * then {@code nc 127.0.0.1 7000}.
 */
final class LineEcho implements FrameHandler {
    /** The articles' {@code MAX_LINE_LEN}. */
    static final int MAX_LINE = 1024;

    /** A decoder for the lines with their line ends kept, so they go back as they came. */
    static final FrameDecoder LINES = FrameDecoder.lines(MAX_LINE, false);

    static Framed handler() {
        return new Framed(LINES, new LineEcho());
    }

    @Override
    public void onFrame(Connection c, MemorySegment line) {
        if (!c.write(line)) c.pauseReading();   // over the high watermark: stop reading
    }

    @Override
    public void onWritabilityChanged(Connection c, boolean writable) {
        if (writable) c.resumeReading();        // Framed delivers the lines that waited first
    }

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 7000;
        try (Reactor reactor = Reactor.builder().loops(1).build();
             Listener l = reactor.listen(new InetSocketAddress("127.0.0.1", port), LineEcho::handler)) {
            System.out.println("listening " + l.port());
            Thread.sleep(Long.MAX_VALUE);
        }
    }
}
