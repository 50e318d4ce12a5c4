package io.ffmepoll.bench.load;

import io.ffmepoll.bench.common.Args;
import io.ffmepoll.bench.common.HttpHello;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The load generator: one thread, non-blocking sockets, every byte that comes back checked
 * against what the protocol says must come back.
 * <ul>
 *   <li>{@code closed}: each of N connections keeps {@code depth} messages in flight; latency
 *       runs from the write of a message to the last byte of its answer.</li>
 *   <li>{@code open}: messages are due at a fixed total rate whatever the server does; latency
 *       runs from the time a message was <em>due</em>, so a stalled server is charged for every
 *       message it delayed (no coordinated omission).</li>
 *   <li>{@code bulk}: one connection streams {@code bytes} through the echo server.</li>
 *   <li>{@code churn}: N slots each connect, send one message, check the answer, close, repeat.</li>
 *   <li>{@code storm}: N blocking connects one after another, all held open, then one echo on
 *       each: how fast a freshly started server drains its accept queue (a full queue drops the
 *       SYN and costs that client a retransmit of at least a second).</li>
 * </ul>
 * M idle connections may be opened first and held open for the whole run.
 */
public final class LoadGen {

    /** What to run. */
    public record Config(String host, int port, String proto, String mode, int conns, int idle, int size,
                         int depth, double rate, double warmup, double duration, long bytes) {

        /** Reads the {@code bench load} options. */
        public static Config parse(Args a) {
            String proto = a.get("proto", "echo");
            if (!proto.equals("echo") && !proto.equals("http") && !proto.equals("tls-echo")) {
                throw new IllegalArgumentException("--proto echo|http|tls-echo, not '" + proto + "'");
            }
            String mode = a.get("mode", a.decimal("rate", 0) > 0 ? "open" : "closed");
            if (!List.of("closed", "open", "bulk", "churn", "storm").contains(mode)) {
                throw new IllegalArgumentException("--mode closed|open|bulk|churn|storm, not '" + mode + "'");
            }
            Config c = new Config(a.get("host", "127.0.0.1"), (int) a.number("port", 0), proto, mode,
                    (int) a.number("conns", 50), (int) a.number("idle", 0), (int) a.number("size", 64),
                    (int) a.number("depth", 1), a.decimal("rate", 0), a.decimal("warmup", 1),
                    a.decimal("duration", 3), a.number("bytes", 1L << 30));
            if (c.port <= 0) throw new IllegalArgumentException("--port N is required");
            if (c.conns < 1 || c.depth < 1 || c.size < 1) {
                throw new IllegalArgumentException("--conns, --depth and --size must be at least 1");
            }
            if (mode.equals("open") && c.rate <= 0) throw new IllegalArgumentException("--mode open needs --rate R (msgs/s)");
            return c;
        }
    }

    /** What came out; {@link #json()} is the one-line form. */
    public record Result(Config config, double seconds, long messages, double throughput, String unit,
                         double p50us, double p99us, double p999us, double maxUs, long errors, String firstError) {
        public String json() {
            return String.format(Locale.ROOT,
                    "{\"proto\":\"%s\",\"mode\":\"%s\",\"conns\":%d,\"idle\":%d,\"size\":%d,\"depth\":%d,\"rate\":%.0f,"
                            + "\"seconds\":%.3f,\"messages\":%d,\"throughput\":%.1f,\"unit\":\"%s\","
                            + "\"p50_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f,\"errors\":%d%s}",
                    config.proto, config.mode, config.conns, config.idle, config.size, config.depth, config.rate,
                    seconds, messages, throughput, unit, p50us, p99us, p999us, maxUs, errors,
                    firstError == null ? "" : ",\"first_error\":\"" + firstError.replace("\\", "\\\\").replace("\"", "'") + "\"");
        }
    }

    /** Called on the generating thread at the edges of the measured window. */
    public interface Hooks {
        default void idleOpened(int count) {
        }

        default void measureStart() {
        }

        default void measureEnd() {
        }

        /**
         * For a storm, before {@link #measureEnd()}: connects that took a second or more, the
         * kernel's SYN retransmit timeout, so each lost its first SYN (on loopback nothing else
         * delays a connect that long).
         */
        default void connectsRetried(long count) {
        }
    }

    public static void main(String[] argv) throws IOException {
        Config c;
        Args args = new Args(argv);
        try {
            c = Config.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("bench load: " + e.getMessage());
            System.exit(2);
            return;
        }
        Result r;
        if (args.get("tool", "java").equals("wrk")) {
            if (!Wrk.available()) {
                System.err.println("bench load: --tool wrk needs wrk (apt-get install wrk)");
                System.exit(2);
            }
            if (!c.proto().equals("http") || !c.mode().equals("closed")) {
                System.err.println("bench load: --tool wrk drives --proto http in closed loop only");
                System.exit(2);
            }
            r = Wrk.run(c, c.duration(), System.getenv().getOrDefault("BENCH_HOME", "."), -1);
            System.out.println(Wrk.json(r));
        } else {
            r = c.proto().equals("tls-echo") ? new TlsLoad(c, new Hooks() { }).run() : new LoadGen(c, new Hooks() { }).run();
            System.out.println(r.json());
        }
        if (r.errors > 0) System.exit(1);
    }

    private static final int RING = 1 << 14;
    private static final int READ_BUFFER = 256 * 1024;

    private final Config cfg;
    private final Hooks hooks;
    private final InetSocketAddress address;
    private final Selector selector;
    private final Histogram histogram = new Histogram(60_000_000_000L, 3);
    private final Consumer<SelectionKey> onKey = this::onKey;
    private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(READ_BUFFER);
    private final MemorySegment readSegment = MemorySegment.ofBuffer(readBuffer);
    private final List<SocketChannel> idle = new ArrayList<>();
    private final List<Conn> dirty = new ArrayList<>();
    private boolean measuring;
    private boolean sending = true;
    private long completed;
    private long errors;
    private String firstError;
    // bulk
    private long bulkSent;
    private long bulkReceived;

    public LoadGen(Config cfg, Hooks hooks) throws IOException {
        this.cfg = cfg;
        this.hooks = hooks;
        this.address = new InetSocketAddress(cfg.host, cfg.port);
        this.selector = Selector.open();
    }

    /** Runs the configured load and closes every connection it opened. */
    public Result run() throws IOException {
        try {
            for (int i = 0; i < cfg.idle; i++) {
                try {
                    SocketChannel ch = SocketChannel.open(address);
                    idle.add(ch);
                } catch (IOException e) {
                    error("idle connect " + i + ": " + e.getMessage());
                    break;
                }
            }
            if (cfg.idle > 0) hooks.idleOpened(idle.size());
            return switch (cfg.mode) {
                case "closed", "open" -> steady();
                case "bulk" -> bulk();
                case "churn" -> churn();
                case "storm" -> storm();
                default -> throw new IllegalStateException(cfg.mode);
            };
        } finally {
            for (SelectionKey k : selector.keys()) closeQuietly(k.channel());
            selector.close();
            for (SocketChannel ch : idle) closeQuietly(ch);
        }
    }

    private void error(String what) {
        errors++;
        if (firstError == null) firstError = what;
    }

    private static void closeQuietly(java.nio.channels.Channel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // Closing our own client socket: nothing to recover.
        }
    }

    private byte[] message(int id) {
        if (cfg.proto.equals("http")) return HttpHello.REQUEST;
        byte[] m = new byte[cfg.size];
        for (int i = 0; i < m.length; i++) m[i] = (byte) (i * 31 + id * 17 + 7);
        return m;
    }

    private byte[] answer(byte[] message) {
        return cfg.proto.equals("http") ? HttpHello.RESPONSE : message;
    }

    // ---------------------------------------------------------------- closed and open loop

    private Result steady() throws IOException {
        boolean open = cfg.mode.equals("open");
        Conn[] conns = new Conn[cfg.conns];
        for (int i = 0; i < conns.length; i++) {
            SocketChannel ch = SocketChannel.open(address);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.configureBlocking(false);
            conns[i] = new Conn(ch, i, open);
            conns[i].key = ch.register(selector, SelectionKey.OP_READ, conns[i]);
        }
        long start = System.nanoTime();
        Window window = new Window(start);
        if (!open) {
            for (Conn c : conns) {
                for (int d = 0; d < cfg.depth; d++) c.enqueue(start);
                c.flush();
            }
        }
        double interval = open ? 1e9 / cfg.rate : 0;
        long sequence = 0;
        while (true) {
            long now = System.nanoTime();
            if (!window.open(now)) break;
            if (open) {
                long due;
                while ((due = start + (long) (sequence * interval)) <= now) {
                    Conn c = conns[(int) (sequence % conns.length)];
                    if (c.enqueue(due) && !c.dirty) {
                        c.dirty = true;
                        dirty.add(c);
                    }
                    sequence++;
                }
                flushDirty();
                selector.selectNow(onKey);
                long wait = start + (long) (sequence * interval) - System.nanoTime();
                if (wait > 2_000_000) {
                    selector.select(onKey, Math.min(wait / 1_000_000 - 1, 100));
                } else if (wait > 0) {
                    LockSupport.parkNanos(Math.min(wait, 50_000));
                }
            } else {
                selector.select(onKey, 50);
                flushDirty();
            }
            if (selector.keys().isEmpty()) {
                error("every connection failed");
                break;
            }
        }
        double secs = window.close();
        long n = completed;
        return result(secs, n, n / secs, "msg/s");
    }

    private Result result(double secs, long n, double throughput, String unit) {
        boolean any = histogram.getTotalCount() > 0;
        return new Result(cfg, secs, n, throughput, unit,
                any ? histogram.getValueAtPercentile(50) / 1e3 : 0,
                any ? histogram.getValueAtPercentile(99) / 1e3 : 0,
                any ? histogram.getValueAtPercentile(99.9) / 1e3 : 0,
                any ? histogram.getMaxValue() / 1e3 : 0,
                errors, firstError);
    }

    private void flushDirty() {
        for (int i = 0; i < dirty.size(); i++) {
            Conn c = dirty.get(i);
            c.dirty = false;
            if (c.key.isValid()) c.flush();
        }
        dirty.clear();
    }

    private void onKey(SelectionKey key) {
        Object a = key.attachment();
        if (a instanceof Conn c) c.onReady();
        else if (a instanceof Slot s) s.onReady();
        else onBulk(key);
    }

    /** One measured connection of the closed or open loop. */
    /** A run's warm-up, then its measured window. */
    private final class Window {
        private final long measureAt;
        private final long endAt;
        private long measuredStart;

        Window(long start) {
            measureAt = start + (long) (cfg.warmup * 1e9);
            endAt = measureAt + (long) (cfg.duration * 1e9);
        }

        /** Starts measuring once the warm-up is over, dropping what it counted; false once the window has ended. */
        boolean open(long now) {
            if (!measuring && now >= measureAt) {
                histogram.reset();
                completed = 0;
                measuring = true;
                measuredStart = now;
                hooks.measureStart();
            }
            return now < endAt;
        }

        /** Ends the measurement and returns the seconds it covered. */
        double close() {
            long measuredEnd = System.nanoTime();
            hooks.measureEnd();
            sending = false;
            return (measuredEnd - measuredStart) / 1e9;
        }
    }

    private final class Conn {
        final SocketChannel ch;
        final int id;
        final boolean open;
        final byte[] message;
        final MemorySegment expected;
        final int expectedLength;
        final ByteBuffer out;
        final long[] sentAt = new long[RING];
        long head;
        long tail;
        int received;
        boolean dirty;
        boolean writeInterest;
        SelectionKey key;

        Conn(SocketChannel ch, int id, boolean open) {
            this.ch = ch;
            this.id = id;
            this.open = open;
            this.message = message(id);
            byte[] exp = answer(message);
            ByteBuffer e = ByteBuffer.allocateDirect(exp.length).put(exp).flip();
            this.expected = MemorySegment.ofBuffer(e);
            this.expectedLength = exp.length;
            int capacity = open ? Math.max(1 << 20, message.length * 64) : message.length * cfg.depth;
            this.out = ByteBuffer.allocateDirect(capacity);
        }

        /** Queues one message stamped {@code at}; false if the open loop overran this connection. */
        boolean enqueue(long at) {
            if (tail - head >= RING || out.remaining() < message.length) {
                error("open loop overran: server too slow for --rate on connection " + id);
                return false;
            }
            out.put(message);
            sentAt[(int) (tail++ & (RING - 1))] = at;
            return true;
        }

        void flush() {
            try {
                out.flip();
                if (out.hasRemaining()) ch.write(out);
                boolean more = out.hasRemaining();
                out.compact();
                if (more != writeInterest) {
                    writeInterest = more;
                    key.interestOps(more ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ);
                }
            } catch (IOException e) {
                fail("write: " + e.getMessage());
            }
        }

        void onReady() {
            if (key.isWritable()) flush();
            if (!key.isValid() || !key.isReadable()) return;
            try {
                for (int r = 0; r < 4; r++) {
                    readBuffer.clear();
                    int n = ch.read(readBuffer);
                    if (n < 0) {
                        fail("server closed connection " + id + " with " + (tail - head) + " answers outstanding");
                        return;
                    }
                    if (n == 0) break;
                    long now = System.nanoTime();
                    int p = 0;
                    while (p < n) {
                        int k = Math.min(n - p, expectedLength - received);
                        long bad = MemorySegment.mismatch(readSegment, p, p + k, expected, received, received + k);
                        if (bad >= 0) {
                            fail("wrong byte in answer on connection " + id + " at offset " + (received + bad)
                                    + " of a " + expectedLength + "-byte answer");
                            return;
                        }
                        received += k;
                        p += k;
                        if (received == expectedLength) {
                            received = 0;
                            if (head == tail) {
                                fail("answer with no request outstanding on connection " + id);
                                return;
                            }
                            long sent = sentAt[(int) (head++ & (RING - 1))];
                            if (measuring) {
                                histogram.recordValue(Math.max(0, now - sent));
                                completed++;
                            }
                            if (!open && sending) enqueue(now);
                        }
                    }
                    if (n < READ_BUFFER) break;
                }
                if (!open && !dirty) {
                    dirty = true;
                    LoadGen.this.dirty.add(this);
                }
            } catch (IOException e) {
                fail("read: " + e.getMessage());
            }
        }

        void fail(String why) {
            error(why);
            key.cancel();
            closeQuietly(ch);
        }
    }

    // ---------------------------------------------------------------- bulk

    private static final int PERIOD = 251;
    private static final int CHUNK = 256 * 1024;
    private ByteBuffer pattern;
    private MemorySegment patternSegment;
    private SocketChannel bulkChannel;

    private Result bulk() throws IOException {
        if (!cfg.proto.equals("echo")) throw new IllegalArgumentException("--mode bulk needs --proto echo");
        pattern = ByteBuffer.allocateDirect(CHUNK + PERIOD);
        for (int i = 0; i < pattern.capacity(); i++) pattern.put(i, (byte) ((i % PERIOD) * 7 + 3));
        patternSegment = MemorySegment.ofBuffer(pattern);
        bulkChannel = SocketChannel.open(address);
        bulkChannel.configureBlocking(false);
        SelectionKey key = bulkChannel.register(selector, SelectionKey.OP_READ | SelectionKey.OP_WRITE);
        long limit = (long) ((cfg.warmup + cfg.duration) * 1e9);
        hooks.measureStart();
        long start = System.nanoTime();
        long deadline = start + Math.max(limit, 60_000_000_000L);
        while (bulkReceived < cfg.bytes && key.isValid() && System.nanoTime() < deadline) {
            selector.select(onKey, 100);
        }
        long end = System.nanoTime();
        hooks.measureEnd();
        if (bulkReceived < cfg.bytes) error("bulk transfer incomplete: " + bulkReceived + " of " + cfg.bytes + " bytes back");
        double secs = (end - start) / 1e9;
        return result(secs, bulkReceived, bulkReceived / secs / (1 << 20), "MiB/s");
    }

    private void onBulk(SelectionKey key) {
        try {
            if (key.isValid() && key.isWritable()) {
                while (bulkSent < cfg.bytes) {
                    int off = (int) (bulkSent % PERIOD);
                    int len = (int) Math.min(CHUNK, cfg.bytes - bulkSent);
                    pattern.limit(off + len).position(off);
                    int n = bulkChannel.write(pattern);
                    bulkSent += n;
                    if (n < len) break;
                }
                if (bulkSent == cfg.bytes) key.interestOps(SelectionKey.OP_READ);
            }
            if (key.isValid() && key.isReadable()) {
                for (int r = 0; r < 8; r++) {
                    readBuffer.clear();
                    int n = bulkChannel.read(readBuffer);
                    if (n < 0) {
                        error("server closed the bulk connection after " + bulkReceived + " bytes");
                        key.cancel();
                        return;
                    }
                    if (n == 0) break;
                    int off = (int) (bulkReceived % PERIOD);
                    if (MemorySegment.mismatch(readSegment, 0, n, patternSegment, off, off + n) >= 0) {
                        error("wrong byte in bulk echo near offset " + bulkReceived);
                        key.cancel();
                        return;
                    }
                    bulkReceived += n;
                }
            }
        } catch (IOException e) {
            error("bulk: " + e.getMessage());
            key.cancel();
        }
    }

    // ---------------------------------------------------------------- churn

    private Result churn() throws IOException {
        long start = System.nanoTime();
        Window window = new Window(start);
        Slot[] slots = new Slot[cfg.conns];
        for (int i = 0; i < slots.length; i++) {
            slots[i] = new Slot(i);
            slots[i].begin();
        }
        while (true) {
            long now = System.nanoTime();
            if (!window.open(now)) break;
            selector.select(onKey, 50);
            if (errors > 1000) break;
        }
        double secs = window.close();
        return result(secs, completed, completed / secs, "conn/s");
    }

    /** One connect-ask-check-close cycle, repeated. */
    private final class Slot {
        final int id;
        final byte[] message;
        final MemorySegment expected;
        SocketChannel ch;
        SelectionKey key;
        long began;
        int received;

        Slot(int id) {
            this.id = id;
            this.message = message(id);
            byte[] exp = answer(message);
            this.expected = MemorySegment.ofBuffer(ByteBuffer.allocateDirect(exp.length).put(exp).flip());
        }

        void begin() {
            if (!sending) return;
            try {
                began = System.nanoTime();
                received = 0;
                ch = SocketChannel.open();
                ch.configureBlocking(false);
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                if (ch.connect(address)) {
                    key = ch.register(selector, SelectionKey.OP_READ, this);
                    send();
                } else {
                    key = ch.register(selector, SelectionKey.OP_CONNECT, this);
                }
            } catch (IOException e) {
                error("churn connect: " + e.getMessage());
                if (ch != null) closeQuietly(ch);
            }
        }

        private void send() throws IOException {
            // A message this small always fits an empty socket buffer.
            ch.write(ByteBuffer.wrap(message));
        }

        void onReady() {
            try {
                if (key.isConnectable()) {
                    ch.finishConnect();
                    key.interestOps(SelectionKey.OP_READ);
                    send();
                    return;
                }
                readBuffer.clear();
                int n = ch.read(readBuffer);
                if (n < 0) {
                    restart("server closed a churn connection before answering");
                    return;
                }
                if (n == 0) return;
                long len = expected.byteSize();
                if (received + n > len
                        || MemorySegment.mismatch(readSegment, 0, n, expected, received, received + n) >= 0) {
                    restart("wrong answer on a churn connection");
                    return;
                }
                received += n;
                if (received == len) {
                    if (measuring) {
                        histogram.recordValue(System.nanoTime() - began);
                        completed++;
                    }
                    key.cancel();
                    closeQuietly(ch);
                    begin();
                }
            } catch (IOException e) {
                restart("churn: " + e.getMessage());
            }
        }

        private void restart(String why) {
            error(why);
            key.cancel();
            closeQuietly(ch);
            begin();
        }
    }

    // ---------------------------------------------------------------- storm

    /** Longest a storm may take before it is cut short (a server that stalls must not hang the run). */
    private static final long STORM_LIMIT_NANOS = 120_000_000_000L;
    /** Linux's initial retransmission timeout (TCP_TIMEOUT_INIT): a dropped SYN is sent again after it. */
    private static final long SYN_RETRANSMIT_NANOS = 1_000_000_000L;

    /**
     * N serial blocking connects, each recorded in the histogram (a dropped SYN shows as a
     * connect of a second or more), then one echo on every connection; the window covers both.
     */
    private Result storm() throws IOException {
        if (!cfg.proto.equals("echo")) throw new IllegalArgumentException("--mode storm needs --proto echo");
        SocketChannel[] chans = new SocketChannel[cfg.conns];
        byte[][] expected = new byte[cfg.conns][];
        int[] received = new int[cfg.conns];
        hooks.measureStart();
        long start = System.nanoTime();
        long deadline = start + STORM_LIMIT_NANOS;
        int opened = 0;
        long retried = 0;
        try {
            for (; opened < cfg.conns && System.nanoTime() < deadline; opened++) {
                long t = System.nanoTime();
                try {
                    chans[opened] = SocketChannel.open(address);
                } catch (IOException e) {
                    error("storm connect " + opened + ": " + e.getMessage());
                    break;
                }
                long took = System.nanoTime() - t;
                histogram.recordValue(took);
                if (took >= SYN_RETRANSMIT_NANOS) retried++;
            }
            int pending = 0;
            for (int i = 0; i < opened; i++) {
                SocketChannel ch = chans[i];
                ch.configureBlocking(false);
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                expected[i] = message(i);
                // A message this small always fits an empty socket buffer.
                ch.write(ByteBuffer.wrap(expected[i]));
                ch.register(selector, SelectionKey.OP_READ, i);
                pending++;
            }
            int[] left = {pending};
            while (left[0] > 0 && System.nanoTime() < deadline) {
                selector.select(key -> {
                    int i = (Integer) key.attachment();
                    try {
                        readBuffer.clear();
                        int n = chans[i].read(readBuffer);
                        if (n == 0) return;
                        byte[] exp = expected[i];
                        if (n < 0 || received[i] + n > exp.length
                                || MemorySegment.mismatch(readSegment, 0, n, MemorySegment.ofArray(exp), received[i], received[i] + n) >= 0) {
                            error(n < 0 ? "server closed a storm connection before echoing" : "wrong echo on a storm connection");
                            key.cancel();
                            left[0]--;
                            return;
                        }
                        received[i] += n;
                        if (received[i] == exp.length) {
                            key.cancel();
                            completed++;
                            left[0]--;
                        }
                    } catch (IOException e) {
                        error("storm echo: " + e.getMessage());
                        key.cancel();
                        left[0]--;
                    }
                }, 100);
            }
            if (left[0] > 0) error(left[0] + " storm connections got no echo within " + STORM_LIMIT_NANOS / 1_000_000_000 + " s");
            if (opened < cfg.conns && errors == 0) error("storm cut short after " + opened + " connects");
            double secs = (System.nanoTime() - start) / 1e9;
            hooks.connectsRetried(retried);
            hooks.measureEnd();
            return result(secs, completed, completed / secs, "conn/s");
        } finally {
            for (int i = 0; i < opened; i++) if (chans[i] != null) closeQuietly(chans[i]);
        }
    }
}
