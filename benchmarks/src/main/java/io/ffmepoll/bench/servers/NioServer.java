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
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

/**
 * The java.nio baseline: K selector threads, the listener on the first, accepted channels
 * handed out round-robin. Written as a careful NIO user would: direct buffers allocated once
 * per connection, {@code select(Consumer)} so no selected-key set is iterated, reads stop while
 * a write is pending (bounded memory per connection).
 */
public final class NioServer {

    private static final int BUFFER = 16 * 1024;
    private static final int READS_PER_EVENT = 16;

    public static void main(String[] argv) throws IOException {
        Args args = new Args(argv);
        boolean http = ServerMain.httpProto(args);
        int loops = (int) args.number("loops", 1);
        ServerSocketChannel server = ServerSocketChannel.open();
        server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        server.bind(new InetSocketAddress(ServerMain.host(args), (int) args.number("port", 0)), 4096);
        server.configureBlocking(false);
        Loop[] all = new Loop[loops];
        for (int i = 0; i < loops; i++) all[i] = new Loop(http, i);
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
        private ServerSocketChannel server;
        private Loop[] loops;
        private int next;

        Loop(boolean http, int index) throws IOException {
            this.selector = Selector.open();
            this.http = http;
        }

        void listen(ServerSocketChannel server, Loop[] loops) throws IOException {
            this.server = server;
            this.loops = loops;
            server.register(selector, SelectionKey.OP_ACCEPT);
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
            Conn c = new Conn(ch, http);
            c.key = ch.register(selector, SelectionKey.OP_READ, c);
        }

        private void onKey(SelectionKey key) {
            if (key.attachment() == null) {
                accept();
                return;
            }
            Conn c = (Conn) key.attachment();
            try {
                if (key.isWritable()) c.flushAndResume();
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
                    // EMFILE and friends: report once per burst, keep serving the others.
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

    static final class Conn {
        final SocketChannel ch;
        final boolean http;
        final ByteBuffer in = ByteBuffer.allocateDirect(BUFFER);
        /** HTTP responses waiting to go out; echo writes straight from {@link #in}. */
        final ByteBuffer out;
        SelectionKey key;
        boolean closing;

        Conn(SocketChannel ch, boolean http) {
            this.ch = ch;
            this.http = http;
            this.out = http ? ByteBuffer.allocateDirect(BUFFER) : null;
        }

        void onReadable() throws IOException {
            if (http) readHttp();
            else readEcho();
        }

        // Echo: in is in fill mode; a short write leaves the rest compacted in it and switches
        // to OP_WRITE so nothing more is read until it drains.
        private void readEcho() throws IOException {
            for (int r = 0; r < READS_PER_EVENT; r++) {
                int n = ch.read(in);
                if (n < 0) {
                    close();
                    return;
                }
                if (n == 0) return;
                in.flip();
                ch.write(in);
                if (in.hasRemaining()) {
                    in.compact();
                    key.interestOps(SelectionKey.OP_WRITE);
                    return;
                }
                in.clear();
            }
        }

        private void readHttp() throws IOException {
            for (int r = 0; r < READS_PER_EVENT && !closing; r++) {
                int n = ch.read(in);
                if (n < 0) {
                    close();
                    return;
                }
                if (n == 0) return;
                if (!answer()) return;
            }
        }

        /** Answers complete requests in {@code in}; false if output is now pending (OP_WRITE set). */
        private boolean answer() throws IOException {
            int start = 0;
            int end = in.position();
            while (!closing) {
                if (out.remaining() < HttpHello.TOO_LARGE.length) {
                    if (!flush()) {
                        keep(start, end);
                        return false;
                    }
                }
                int len = HttpHello.parse(in, start, end);
                if (len == HttpHello.INCOMPLETE) break;
                if (len > 0) {
                    out.put(HttpHello.RESPONSE);
                    start += len;
                } else {
                    out.put(len == HttpHello.BAD ? HttpHello.BAD_REQUEST : HttpHello.TOO_LARGE);
                    closing = true;
                    start = end;
                }
            }
            keep(start, end);
            if (!flush()) return false;
            if (closing) close();
            return !closing;
        }

        /** Moves the unparsed bytes [start, end) to the front of {@code in}. */
        private void keep(int start, int end) {
            if (start == 0) return;
            in.limit(end).position(start);
            in.compact();
        }

        /** Writes {@code out}; true when empty, else OP_WRITE is set. */
        private boolean flush() throws IOException {
            out.flip();
            if (out.hasRemaining()) ch.write(out);
            boolean done = !out.hasRemaining();
            out.compact();
            if (!done) key.interestOps(SelectionKey.OP_WRITE);
            return done;
        }

        void flushAndResume() throws IOException {
            if (http) {
                if (!flush()) return;
                if (closing) {
                    close();
                    return;
                }
                key.interestOps(SelectionKey.OP_READ);
                if (answer()) readHttp();
            } else {
                in.flip();
                ch.write(in);
                boolean done = !in.hasRemaining();
                in.compact();
                if (!done) return;
                key.interestOps(SelectionKey.OP_READ);
                readEcho();
            }
        }

        void close() {
            key.cancel();
            closeQuietly(ch);
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
