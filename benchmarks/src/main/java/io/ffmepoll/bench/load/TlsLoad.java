package io.ffmepoll.bench.load;

import io.ffmepoll.bench.common.ServerTls;
import io.ffmepoll.reactor.Reactor;
import io.ffmepoll.tls.Tls;
import io.ffmepoll.tls.TlsConnection;
import io.ffmepoll.tls.TlsHandler;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The closed-loop echo load of {@link LoadGen} over TLS 1.3 ({@code --proto tls-echo}): the
 * client side is this library's TLS layer on one reactor loop (one thread, like LoadGen), every
 * echoed byte compared with what was sent, latency from a message's write to its echo's last
 * byte. The server's certificate is not verified (the example servers make a self-signed one).
 */
public final class TlsLoad {

    private final LoadGen.Config cfg;
    private final LoadGen.Hooks hooks;
    private final Histogram histogram = new Histogram(60_000_000_000L, 3);
    private volatile boolean measuring;
    private volatile boolean sending = true;
    private long completed;          // loop thread
    private long errors;             // loop thread
    private String firstError;       // loop thread

    public TlsLoad(LoadGen.Config cfg, LoadGen.Hooks hooks) {
        this.cfg = cfg;
        this.hooks = hooks;
    }

    /** Connects, runs warm-up and window, closes; the result as LoadGen reports it. */
    public LoadGen.Result run() throws IOException {
        if (!cfg.mode().equals("closed")) throw new IllegalArgumentException("--proto tls-echo runs --mode closed only");
        Tls tls;
        try {
            tls = Tls.client(ServerTls.trustingAnything()).endpointIdentification(null).build();
        } catch (GeneralSecurityException e) {
            throw new IOException(e);
        }
        try (Reactor reactor = Reactor.builder().loops(1).threadName("tls-load").closeGrace(java.time.Duration.ofSeconds(1)).build()) {
            List<TlsConnection> conns = new ArrayList<>();
            InetSocketAddress server = new InetSocketAddress(cfg.host(), cfg.port());
            for (int i = 0; i < cfg.conns(); i++) {
                try {
                    conns.add(tls.connect(reactor, server, "localhost", new Client(i)).get(10, TimeUnit.SECONDS));
                } catch (Exception e) {
                    throw new IOException("TLS connect " + i + ": " + e, e);
                }
            }
            sleep(cfg.warmup());
            var loop = reactor.loops().getFirst();
            join(loop.submit(() -> {
                histogram.reset();
                completed = 0;
                measuring = true;
                return null;
            }));
            hooks.measureStart();
            long t0 = System.nanoTime();
            sleep(cfg.duration());
            long t1 = System.nanoTime();
            hooks.measureEnd();
            Object[] snap = join(loop.submit(() -> {
                measuring = false;
                sending = false;
                return new Object[] {histogram.copy(), completed, errors, firstError};
            }));
            Histogram h = (Histogram) snap[0];
            long n = (Long) snap[1];
            double secs = (t1 - t0) / 1e9;
            boolean any = h.getTotalCount() > 0;
            return new LoadGen.Result(cfg, secs, n, n / secs, "msg/s",
                    any ? h.getValueAtPercentile(50) / 1e3 : 0, any ? h.getValueAtPercentile(99) / 1e3 : 0,
                    any ? h.getValueAtPercentile(99.9) / 1e3 : 0, any ? h.getMaxValue() / 1e3 : 0,
                    (Long) snap[2], (String) snap[3]);
        }
    }

    private final class Client implements TlsHandler {
        final int id;
        final MemorySegment message;
        final long[] sentAt;
        long head, tail;
        long received;    // bytes of the current answer

        Client(int id) {
            this.id = id;
            int size = Math.max(1, cfg.size());
            message = Arena.ofAuto().allocate(size);
            for (int i = 0; i < size; i++) message.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 31 + id * 17 + 7));
            sentAt = new long[Integer.highestOneBit(Math.max(1, cfg.depth())) * 2];
        }

        @Override
        public void onOpen(TlsConnection c) {
            for (int d = 0; d < cfg.depth(); d++) send(c, System.nanoTime());
        }

        private void send(TlsConnection c, long now) {
            sentAt[(int) (tail++ & (sentAt.length - 1))] = now;
            c.write(message);
        }

        @Override
        public void onRead(TlsConnection c, MemorySegment data) {
            long n = data.byteSize(), p = 0, size = message.byteSize();
            long now = System.nanoTime();
            while (p < n) {
                long k = Math.min(n - p, size - received);
                long bad = MemorySegment.mismatch(data, p, p + k, message, received, received + k);
                if (bad >= 0) {
                    error("wrong byte in answer on connection " + id + " at offset " + (received + bad));
                    c.close();
                    return;
                }
                received += k;
                p += k;
                if (received == size) {
                    received = 0;
                    long sent = sentAt[(int) (head++ & (sentAt.length - 1))];
                    if (measuring) {
                        histogram.recordValue(Math.max(0, now - sent));
                        completed++;
                    }
                    if (sending) send(c, now);
                }
            }
        }

        @Override
        public void onClose(TlsConnection c, Throwable cause) {
            if (sending) error("connection " + id + " closed" + (cause != null ? ": " + cause : ""));
        }
    }

    private void error(String what) {
        errors++;
        if (firstError == null) firstError = what;
    }

    private static void sleep(double seconds) {
        try {
            Thread.sleep((long) (seconds * 1000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static <T> T join(java.util.concurrent.CompletableFuture<T> f) throws IOException {
        try {
            return f.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IOException("load loop did not answer: " + e, e);
        }
    }
}
