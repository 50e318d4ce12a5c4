package io.ffmepoll.codec;

import io.ffmepoll.reactor.Connection;
import io.ffmepoll.reactor.EventLoop;
import io.ffmepoll.reactor.Listener;
import io.ffmepoll.reactor.Net;
import io.ffmepoll.reactor.Reactor;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A one-loop reactor serving framed connections for the tests: records every frame the handler
 * saw and how each connection closed, and lets a client write in pieces that the server is
 * certain to read one at a time.
 */
final class FramedServer implements AutoCloseable {
    final Reactor reactor;
    final Listener listener;
    final List<byte[]> frames = new CopyOnWriteArrayList<>();
    /** How the last connection closed: its onClose cause, or a placeholder for an orderly close. */
    volatile CompletableFuture<Throwable> closed = new CompletableFuture<>();
    static final Throwable ORDERLY = new Throwable("orderly close");

    private FramedServer(Supplier<Framed> handlers) throws IOException {
        reactor = Net.small().loops(1).build();
        listener = reactor.listen(new InetSocketAddress("127.0.0.1", 0), handlers);
    }

    /** Serves {@code decoder}; each frame is recorded, then given to {@code then} (may be null). */
    static FramedServer serving(FrameDecoder decoder, FrameHandler then) throws IOException {
        return serving(() -> decoder, then);
    }

    /** As {@link #serving(FrameDecoder, FrameHandler)}, with each connection's decoder from {@code decoders}. */
    static FramedServer serving(Supplier<FrameDecoder> decoders, FrameHandler then) throws IOException {
        FramedServer[] self = new FramedServer[1];
        FrameHandler recorder = new FrameHandler() {
            @Override
            public void onFrame(Connection c, MemorySegment frame) {
                self[0].frames.add(frame.toArray(ValueLayout.JAVA_BYTE));
                if (then != null) then.onFrame(c, frame);
            }

            @Override
            public void onWritabilityChanged(Connection c, boolean writable) {
                if (then != null) then.onWritabilityChanged(c, writable);
            }

            @Override
            public void onClose(Connection c, Throwable cause) {
                self[0].closed.complete(cause == null ? ORDERLY : cause);
            }
        };
        self[0] = new FramedServer(() -> new Framed(decoders.get(), recorder));
        return self[0];
    }

    EventLoop loop() {
        return reactor.loops().get(0);
    }

    Socket connect() throws IOException {
        Socket s = Net.connect(listener.port());
        s.setTcpNoDelay(true);
        return s;
    }

    /**
     * Writes {@code bytes} cut at {@code cuts} (ascending offsets), waiting after each piece
     * until the loop has read it: each piece is then exactly one read on the server.
     */
    void writeInPieces(Socket s, byte[] bytes, int[] cuts) throws IOException, InterruptedException {
        OutputStream out = s.getOutputStream();
        int from = 0;
        for (int i = 0; i <= cuts.length; i++) {
            int to = i < cuts.length ? cuts[i] : bytes.length;
            if (to <= from) continue;
            long before = loop().counters().bytesRead();
            out.write(bytes, from, to - from);
            out.flush();
            awaitRead(before + to - from);
            from = to;
        }
    }

    /** Waits (at most 10 s) until the loop has read {@code total} bytes in all. */
    void awaitRead(long total) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (loop().counters().bytesRead() < total) {
            if (System.nanoTime() > deadline) throw new AssertionError("the server did not read " + total + " bytes");
            Thread.sleep(0, 50_000);
        }
    }

    /** Waits (at most 10 s) until the handler has seen {@code count} frames. */
    void awaitFrames(int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (frames.size() < count) {
            if (System.nanoTime() > deadline) throw new AssertionError(frames.size() + " frames, not " + count);
            Thread.sleep(1);
        }
    }

    /** How the current connection closed (waits at most 10 s). */
    Throwable closeCause() throws Exception {
        return closed.get(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        listener.close();
        reactor.close();
    }
}
