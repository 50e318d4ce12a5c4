package io.ffmepoll.bench.servers;

import io.ffmepoll.bench.common.Args;
import io.ffmepoll.bench.common.HttpHello;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

/**
 * The java.nio baseline: K selector threads, the listener on the first, accepted channels
 * handed out round-robin. Written as a careful NIO user would: one direct read buffer per loop,
 * pooled direct buffers only for bytes a connection must keep, {@code select(Consumer)} so no
 * selected-key set is iterated, reads stop while a write is pending (bounded memory).
 */
public final class NioServer {

    private static final int BUFFER = 16 * 1024;
    private static final int READS_PER_EVENT = 16;
    private static final int POOL_LIMIT = 256;
    private static final int MAX_RESPONSE = Math.max(HttpHello.RESPONSE.length,
            Math.max(HttpHello.BAD_REQUEST.length, HttpHello.TOO_LARGE.length));

    public static void main(String[] argv) throws IOException {
        Args args = new Args(argv);
        boolean http = ServerMain.httpProto(args);
        io.ffmepoll.bench.common.Work.configure(args.get("work", "none"));
        int loops = (int) args.number("loops", 1);
        ServerSocketChannel server = ServerSocketChannel.open();
        server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        server.bind(new InetSocketAddress(ServerMain.host(args), (int) args.number("port", 0)), 4096);
        server.configureBlocking(false);
        Loop[] all = new Loop[loops];
        for (int i = 0; i < loops; i++) all[i] = new Loop(http);
        all[0].listen(server, all);
        for (int i = 0; i < loops; i++) {
            Thread t = new Thread(all[i], "nio-loop-" + i);
            t.start();
        }
        ServerMain.announce(server.socket().getLocalPort());
    }

    static final class Loop implements Runnable {
        private final Selector selector;
        private final boolean http;
        private final Queue<SocketChannel> handoff = new ConcurrentLinkedQueue<>();
        private final Consumer<SelectionKey> onKey = this::onKey;
        /** Every read lands here first; only bytes that must outlive the event are copied out. */
        final ByteBuffer readBuffer = ByteBuffer.allocateDirect(BUFFER);
        /** HTTP responses are staged here, then written in one call. */
        final ByteBuffer stage = ByteBuffer.allocateDirect(BUFFER);
        private final ArrayDeque<ByteBuffer> pool = new ArrayDeque<>();
        private ServerSocketChannel server;
        private Loop[] loops;
        private int next;

        Loop(boolean http) throws IOException {
            this.selector = Selector.open();
            this.http = http;
        }

        void listen(ServerSocketChannel server, Loop[] loops) throws IOException {
            this.server = server;
            this.loops = loops;
            server.register(selector, SelectionKey.OP_ACCEPT);
        }

        /** A buffer for bytes a connection has to keep (a short write, a partial request). */
        ByteBuffer take() {
            ByteBuffer b = pool.poll();
            return b != null ? b : ByteBuffer.allocateDirect(BUFFER);
        }

        void give(ByteBuffer b) {
            if (pool.size() < POOL_LIMIT) pool.push(b.clear());
        }

        @Override
        public void run() {
            try {
                while (true) {
                    selector.select(onKey);
                    SocketChannel ch;
                    while ((ch = handoff.poll()) != null) register(ch);
                }
            } catch (IOException e) {
                e.printStackTrace();
                System.exit(1);
            }
        }

        private void register(SocketChannel ch) throws IOException {
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            Conn c = new Conn(ch, this);
            c.key = ch.register(selector, SelectionKey.OP_READ, c);
        }

        private void onKey(SelectionKey key) {
            if (key.attachment() == null) {
                accept();
                return;
            }
            Conn c = (Conn) key.attachment();
            try {
                if (key.isWritable()) c.onWritable();
                else if (key.isReadable()) c.onReadable();
            } catch (IOException e) {
                c.close();
            }
        }

        private void accept() {
            while (true) {
                SocketChannel ch;
                try {
                    ch = server.accept();
                } catch (IOException e) {
                    // EMFILE and friends: report, keep serving the others.
                    System.err.println("accept: " + e.getMessage());
                    return;
                }
                if (ch == null) return;
                Loop target = loops[next];
                next = (next + 1) % loops.length;
                try {
                    if (target == this) {
                        register(ch);
                    } else {
                        target.handoff.add(ch);
                        target.selector.wakeup();
                    }
                } catch (IOException e) {
                    closeQuietly(ch);
                }
            }
        }
    }

    /**
     * One connection. It owns no buffer while it is idle: reads go to the loop's buffer and
     * only a short write's remainder ({@link #out}) or an unfinished request ({@link #in}) takes
     * a pooled buffer, given back once drained. While output is pending nothing is read.
     */
    static final class Conn {
        final SocketChannel ch;
        final Loop loop;
        SelectionKey key;
        /** Pending output in fill mode, or null. */
        ByteBuffer out;
        /** Kept request bytes in fill mode (HTTP only), or null. */
        ByteBuffer in;
        boolean closing;
        boolean closed;

        Conn(SocketChannel ch, Loop loop) {
            this.ch = ch;
            this.loop = loop;
        }

        void onReadable() throws IOException {
            for (int r = 0; r < READS_PER_EVENT && !closed && out == null; r++) {
                ByteBuffer dst = in != null ? in : loop.readBuffer.clear();
                int n = ch.read(dst);
                if (n < 0) {
                    close();
                    return;
                }
                if (n == 0) return;
                if (loop.http) {
                    if (!answer(dst)) return;
                } else {
                    dst.flip();
                    io.ffmepoll.bench.common.Work.perBytes(dst.remaining());
                    ch.write(dst);
                    if (dst.hasRemaining()) {
                        out = loop.take().put(dst);
                        key.interestOps(SelectionKey.OP_WRITE);
                        return;
                    }
                }
            }
        }

        /**
         * Answers the complete requests in {@code src} (fill mode, data from 0), keeps the rest.
         * @return false if the connection now waits for output to drain, or was closed
         */
        private boolean answer(ByteBuffer src) throws IOException {
            ByteBuffer stage = loop.stage.clear();
            int start = 0;
            int end = src.position();
            while (!closing) {
                if (stage.remaining() < MAX_RESPONSE && !writeStage()) {
                    keep(src, start, end);
                    return false;
                }
                int len = HttpHello.parse(src, start, end);
                if (len == HttpHello.INCOMPLETE) break;
                if (len > 0) {
                    stage.put(HttpHello.RESPONSE);
                    start += len;
                } else {
                    stage.put(len == HttpHello.BAD ? HttpHello.BAD_REQUEST : HttpHello.TOO_LARGE);
                    closing = true;
                    start = end;
                }
            }
            keep(src, start, end);
            if (!writeStage()) return false;
            if (closing) {
                close();
                return false;
            }
            return true;
        }

        /** Writes the staged responses; a remainder moves to {@link #out}. True if all went. */
        private boolean writeStage() throws IOException {
            ByteBuffer stage = loop.stage;
            stage.flip();
            if (stage.hasRemaining()) ch.write(stage);
            if (!stage.hasRemaining()) {
                stage.clear();
                return true;
            }
            out = loop.take().put(stage);
            stage.clear();
            key.interestOps(SelectionKey.OP_WRITE);
            return false;
        }

        /** Keeps src[start, end) as this connection's unfinished input. */
        private void keep(ByteBuffer src, int start, int end) {
            if (src == in) {
                if (start == end) {
                    loop.give(in);
                    in = null;
                } else if (start > 0) {
                    in.limit(end).position(start);
                    in.compact();
                }
            } else if (start < end) {
                in = loop.take().put(src.limit(end).position(start));
            }
        }

        void onWritable() throws IOException {
            out.flip();
            ch.write(out);
            if (out.hasRemaining()) {
                out.compact();
                return;
            }
            loop.give(out);
            out = null;
            if (closing) {
                close();
                return;
            }
            key.interestOps(SelectionKey.OP_READ);
            if (in != null && !answer(in)) return;
            onReadable();
        }

        void close() {
            if (closed) return;
            closed = true;
            key.cancel();
            closeQuietly(ch);
            if (in != null) loop.give(in);
            if (out != null) loop.give(out);
            in = out = null;
        }
    }

    static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // Nothing left to do for a descriptor that failed to close.
        }
    }
}
