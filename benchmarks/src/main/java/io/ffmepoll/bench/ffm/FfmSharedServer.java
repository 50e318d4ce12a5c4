package io.ffmepoll.bench.ffm;

import io.ffmepoll.bench.common.Args;
import io.ffmepoll.bench.common.HttpHello;
import io.ffmepoll.bench.common.Work;
import io.ffmepoll.shared.SharedConnection;
import io.ffmepoll.shared.SharedHandler;
import io.ffmepoll.shared.SharedServer;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;

/**
 * The echo and HTTP hello servers on {@link SharedServer}: worker threads sharing one epoll.
 * <pre>
 * FfmSharedServer --proto echo|http --port N [--loops K] [--workers W] [--work none|cpu:US|sleep:US]
 * </pre>
 * {@code --workers} defaults to 16 whatever {@code --loops} says: the pool is sized for handlers
 * that block, not for the cores. Prints {@code listening <port>}; on SIGTERM shuts down
 * gracefully and prints the counters (re-arms per event included) to stderr.
 */
public final class FfmSharedServer {

    private FfmSharedServer() {}

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        String proto = args.get("proto", "echo");
        if (!proto.equals("echo") && !proto.equals("http")) {
            System.err.println("FfmSharedServer speaks --proto echo or http, not '" + proto + "'");
            System.exit(2);
        }
        Work.configure(args.get("work", "none"));
        int workers = (int) args.number("workers", 16);
        SharedServer server = SharedServer.builder().workers(workers).threadName("ffm-shared-" + proto).build();
        InetSocketAddress bound = (InetSocketAddress) server.listen(
                new InetSocketAddress(args.get("host", "127.0.0.1"), (int) args.number("port", 0)),
                proto.equals("echo") ? Echo::new : Http::new);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.shutdown(Duration.ofSeconds(5));
            try {
                server.awaitTermination(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            System.err.println(server.counters() + " rearms/event " + server.counters().rearmsPerEvent());
            System.err.flush();
        }, "ffm-shared-shutdown"));
        System.out.println("listening " + bound.getPort());
        System.out.flush();
    }

    /** Echo: every byte back, after the configured work. */
    static final class Echo implements SharedHandler {
        @Override
        public void onRead(SharedConnection c, MemorySegment data) {
            Work.perBytes(data.byteSize());
            c.write(data);
        }
    }

    /** HTTP hello with {@link HttpHello}'s rules; a partial request waits in a heap buffer. */
    static final class Http implements SharedHandler {
        private static final MemorySegment OK = MemorySegment.ofArray(HttpHello.RESPONSE);
        private ByteBuffer in = ByteBuffer.allocate(HttpHello.MAX_HEADER + 64 * 1024);

        @Override
        public void onRead(SharedConnection c, MemorySegment data) {
            if (data.byteSize() > in.remaining()) {
                fail(c, HttpHello.TOO_LARGE);
                return;
            }
            MemorySegment.copy(data, ValueLayout.JAVA_BYTE, 0, in.array(), in.position(), (int) data.byteSize());
            in.position(in.position() + (int) data.byteSize());
            int start = 0, end = in.position();
            while (true) {
                int n = HttpHello.parse(in, start, end);
                if (n == HttpHello.INCOMPLETE) break;
                if (n < 0) {
                    fail(c, n == HttpHello.BAD ? HttpHello.BAD_REQUEST : HttpHello.TOO_LARGE);
                    return;
                }
                c.write(OK);
                start += n;
            }
            in.limit(end).position(start);
            in.compact();
        }

        private void fail(SharedConnection c, byte[] response) {
            c.write(MemorySegment.ofArray(response));
            c.close();
        }
    }
}
