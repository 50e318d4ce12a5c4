package io.ffmepoll.bench.soak;

import io.ffmepoll.bench.common.HttpHello;
import io.ffmepoll.bench.compare.Check;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The soak's clients: one thread per role, each with its own seeded {@link Random}, every
 * answer compared byte for byte with what the protocol says must come back.
 * <ul>
 *   <li>stream workers (two on TCP echo, one on Unix echo, one on HTTP) keep a small pool of
 *       connections and pick, at random: a round trip of pipelined messages; a graceful close
 *       (half of them shutdownOutput first, then the server's end of stream is awaited); a reset
 *       (SO_LINGER 0 close on TCP, a close with unread input on Unix) with data in flight; a slow
 *       reader (send megabytes without reading until the kernel takes no more, stop for up to 2 s,
 *       then read everything back); a slow reader that resets instead of resuming; a burst of
 *       short connections; on HTTP also a malformed request (400 and close) and an oversized
 *       header block (431 and close).</li>
 *   <li>an idle worker holds 100 idle connections over the three stream servers, replaces a few
 *       every half second and checks that random ones still answer.</li>
 *   <li>a UDP worker sends bursts of datagrams (1 B to 64 KiB) and checks each echo, on a new
 *       socket every few hundred datagrams.</li>
 * </ul>
 * Thread-safe: the counters are atomic; {@link #stop()} may be called from any thread.
 */
final class Traffic {

    /** Where the servers are. */
    record Targets(InetSocketAddress echo, InetSocketAddress http, SocketAddress unix, InetSocketAddress udp) {
    }

    private static final int NOISE_SIZE = 16 << 20;
    private static final int MAX_HTTP_BATCH = 40_000;
    private static final long DEADLINE_NS = TimeUnit.SECONDS.toNanos(30);
    private static final int MAX_REPORTED = 20;
    private static final long PACE_MS = 2;

    final AtomicLong messages = new AtomicLong();
    final AtomicLong bytes = new AtomicLong();
    final AtomicLong connections = new AtomicLong();
    final AtomicLong resets = new AtomicLong();
    final AtomicLong slowReaders = new AtomicLong();
    final AtomicLong datagrams = new AtomicLong();
    final AtomicLong errors = new AtomicLong();
    final ConcurrentLinkedQueue<String> firstErrors = new ConcurrentLinkedQueue<>();

    private final Targets targets;
    private final long seed;
    private final byte[] noise = new byte[NOISE_SIZE];
    private final byte[] requests = Check.repeat(HttpHello.REQUEST, MAX_HTTP_BATCH);
    private final byte[] responses = Check.repeat(HttpHello.RESPONSE, MAX_HTTP_BATCH);
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean stopping;

    Traffic(Targets targets, long seed) {
        this.targets = targets;
        this.seed = seed;
        new Random(seed).nextBytes(noise);
    }

    /** Starts every worker thread. */
    void start() {
        List<Runnable> roles = List.of(
                new StreamWorker("echo-1", targets.echo, false)::run,
                new StreamWorker("echo-2", targets.echo, false)::run,
                new StreamWorker("unix", targets.unix, false)::run,
                new StreamWorker("http", targets.http, true)::run,
                new IdleWorker()::run,
                new UdpWorker()::run);
        String[] names = {"echo-1", "echo-2", "unix", "http", "idle", "udp"};
        for (int i = 0; i < roles.size(); i++) {
            Thread t = new Thread(roles.get(i), "soak-" + names[i]);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    /** Asks every worker to finish its current step and close its connections; waits (bounded) for them. */
    boolean stop() throws InterruptedException {
        stopping = true;
        long deadline = System.nanoTime() + DEADLINE_NS + TimeUnit.SECONDS.toNanos(10);
        boolean all = true;
        for (Thread t : threads) {
            t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            if (t.isAlive()) {
                error(t.getName() + ": still running 40 s after the stop");
                all = false;
            }
        }
        return all;
    }

    private void error(String what) {
        errors.incrementAndGet();
        if (firstErrors.size() < MAX_REPORTED) firstErrors.add(what);
    }

    /** A failed check: what came back is not what must come back. */
    private static final class Mismatch extends IOException {
        Mismatch(String message) {
            super(message);
        }
    }

    /** Sizes spread over orders of magnitude: mostly small, sometimes large. */
    private static int logUniform(Random r, int min, int max) {
        double v = Math.exp(Math.log(min) + r.nextDouble() * (Math.log(max + 1.0) - Math.log(min)));
        return (int) Math.min(max, Math.max(min, v));
    }

    // ------------------------------------------------------------------ stream connections

    /** What one exchange sends and what must come back, as ranges of shared arrays. */
    private record Exchange(byte[] out, int outOff, int outLen, byte[] expect, int expectOff, int expectLen, int messages) {
    }

    /** A base for the threads that use non-blocking stream connections on one selector. */
    private abstract class SelectorWorker {
        final String name;
        final Random random;
        final ByteBuffer readBuffer = ByteBuffer.allocate(256 * 1024);
        Selector selector;

        SelectorWorker(String name) {
            this.name = name;
            this.random = new Random(seed ^ name.hashCode());
        }

        final void run() {
            try (Selector s = Selector.open()) {
                selector = s;
                loop();
            } catch (IOException | RuntimeException e) {
                error(name + ": worker stopped: " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        abstract void loop() throws IOException, InterruptedException;

        Peer connect(SocketAddress address) throws IOException {
            SocketChannel ch = SocketChannel.open(address);
            try {
                if (address instanceof InetSocketAddress) ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                ch.configureBlocking(false);
                connections.incrementAndGet();
                return new Peer(ch, ch.register(selector, 0), address instanceof InetSocketAddress);
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
        }

        /** An exchange of pipelined echo messages, {@code total} bytes in all, from the noise. */
        Exchange echo(int total) {
            int off = random.nextInt(NOISE_SIZE - total);
            return new Exchange(noise, off, total, noise, off, total, 1);
        }

        /** {@code n} pipelined HTTP requests and their responses. */
        Exchange http(int n) {
            return new Exchange(requests, 0, n * HttpHello.REQUEST.length, responses, 0, n * HttpHello.RESPONSE.length, n);
        }

        /** A non-blocking connection registered (with no interest while unused) on this worker's selector. */
        final class Peer {
            final SocketChannel ch;
            final SelectionKey key;
            final boolean tcp;

            Peer(SocketChannel ch, SelectionKey key, boolean tcp) {
                this.ch = ch;
                this.key = key;
                this.tcp = tcp;
            }

            /**
             * Sends all of {@code x} while reading and checking its answer. With {@code stallMillis > 0}
             * it first writes without reading until the kernel takes no more (or everything is sent),
             * then stops for that long: a peer that stops reading for a while, then resumes.
             */
            void exchange(Exchange x, long stallMillis) throws IOException, InterruptedException {
                ByteBuffer out = ByteBuffer.wrap(x.out, x.outOff, x.outLen);
                if (stallMillis > 0) {
                    fill(out);
                    Thread.sleep(stallMillis);
                }
                long deadline = System.nanoTime() + DEADLINE_NS;
                int got = 0;
                while (got < x.expectLen) {
                    if (out.hasRemaining()) ch.write(out);
                    readBuffer.clear();
                    int n = ch.read(readBuffer);
                    if (n < 0) throw new Mismatch("closed by the server after " + got + " of " + x.expectLen + " answer bytes");
                    if (n > 0) {
                        if (got + n > x.expectLen) throw new Mismatch((got + n - x.expectLen) + " bytes more than the " + x.expectLen + " expected");
                        int at = Arrays.mismatch(readBuffer.array(), 0, n, x.expect, x.expectOff + got, x.expectOff + got + n);
                        if (at >= 0) throw new Mismatch("answer byte " + (got + at) + " of " + x.expectLen + " differs");
                        got += n;
                        continue;
                    }
                    long left = deadline - System.nanoTime();
                    if (left <= 0) throw new Mismatch("no complete answer within 30 s: " + got + " of " + x.expectLen + " bytes");
                    key.interestOps(SelectionKey.OP_READ | (out.hasRemaining() ? SelectionKey.OP_WRITE : 0));
                    selector.select(k -> { }, Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                    key.interestOps(0);
                }
                messages.addAndGet(x.messages);
                bytes.addAndGet(x.expectLen);
            }

            /** Writes without reading until all is sent or the kernel refuses more for 100 ms. */
            void fill(ByteBuffer out) throws IOException {
                while (out.hasRemaining()) {
                    if (ch.write(out) > 0) continue;
                    key.interestOps(SelectionKey.OP_WRITE);
                    int ready = selector.select(k -> { }, 100);
                    key.interestOps(0);
                    if (ready == 0) return;
                }
            }

            /** Shuts down output, then expects the server's end of stream with no byte before it. */
            void halfCloseAndExpectEnd() throws IOException {
                ch.shutdownOutput();
                expectEnd();
            }

            /** Reads until end of stream (bounded); any byte is a mismatch. */
            void expectEnd() throws IOException {
                long deadline = System.nanoTime() + DEADLINE_NS;
                while (true) {
                    readBuffer.clear();
                    int n;
                    try {
                        n = ch.read(readBuffer);
                    } catch (IOException reset) {
                        throw new Mismatch("reset instead of an orderly end of stream: " + reset.getMessage());
                    }
                    if (n < 0) return;
                    if (n > 0) throw new Mismatch(n + " unexpected bytes before the end of stream");
                    long left = deadline - System.nanoTime();
                    if (left <= 0) throw new Mismatch("the server did not close within 30 s");
                    key.interestOps(SelectionKey.OP_READ);
                    selector.select(k -> { }, Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                    key.interestOps(0);
                }
            }

            /** A close the server sees as a reset: SO_LINGER 0 on TCP; on Unix, unread input does it. */
            void reset() {
                try {
                    if (tcp) ch.setOption(StandardSocketOptions.SO_LINGER, 0);
                } catch (IOException ignored) {
                    // Closed already: nothing left to reset.
                }
                resets.incrementAndGet();
                close();
            }

            /** Closes now: the key is flushed from the selector so the descriptor really closes. */
            void close() {
                key.cancel();
                try {
                    ch.close();
                    selector.selectNow(k -> { });
                } catch (IOException ignored) {
                    // Our own client socket: nothing to recover.
                }
            }
        }
    }

    /** Round trips, closes, resets, slow readers and bursts on one stream server. */
    private final class StreamWorker extends SelectorWorker {
        private static final int POOL = 6;
        private final SocketAddress address;
        private final boolean httpProto;
        private final Peer[] pool = new Peer[POOL];

        StreamWorker(String name, SocketAddress address, boolean httpProto) {
            super(name);
            this.address = address;
            this.httpProto = httpProto;
        }

        @Override
        void loop() throws IOException, InterruptedException {
            try {
                while (!stopping) {
                    int p = random.nextInt(POOL);
                    int dice = random.nextInt(100);
                    String step = "?";
                    Peer fresh = null;
                    try {
                        if (pool[p] == null) pool[p] = connect(address);
                        Peer c = pool[p];
                        if (dice < 55) {
                            step = "round trip";
                            c.exchange(small(), 0);
                        } else if (dice < 63) {
                            step = "graceful close";
                            pool[p] = null;
                            fresh = c;
                            if (random.nextBoolean()) c.halfCloseAndExpectEnd();
                            c.close();
                            fresh = null;
                        } else if (dice < 71) {
                            step = "reset with data in flight";
                            pool[p] = null;
                            fresh = c;
                            Exchange x = small();
                            c.ch.write(ByteBuffer.wrap(x.out, x.outOff, Math.min(x.outLen, 64 * 1024)));
                            c.reset();
                            fresh = null;
                        } else if (dice < 75) {
                            step = "slow reader";
                            fresh = connect(address);
                            fresh.exchange(large(), 200 + random.nextInt(1800));
                            slowReaders.incrementAndGet();
                            fresh.close();
                            fresh = null;
                        } else if (dice < 78) {
                            step = "slow reader that resets";
                            fresh = connect(address);
                            Exchange x = large();
                            fresh.fill(ByteBuffer.wrap(x.out, x.outOff, x.outLen));
                            Thread.sleep(100 + random.nextInt(900));
                            slowReaders.incrementAndGet();
                            fresh.reset();
                            fresh = null;
                        } else if (dice < 90) {
                            step = "burst of short connections";
                            int n = 10 + random.nextInt(20);
                            for (int i = 0; i < n && !stopping; i++) {
                                fresh = connect(address);
                                fresh.exchange(httpProto ? http(1) : echo(1 + random.nextInt(200)), 0);
                                if (random.nextInt(3) == 0) fresh.reset();
                                else fresh.close();
                                fresh = null;
                                Thread.sleep(1);
                            }
                        } else if (httpProto && dice < 93) {
                            step = "malformed request";
                            fresh = connect(address);
                            byte[] bad = "HELLO\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
                            fresh.exchange(new Exchange(bad, 0, bad.length, HttpHello.BAD_REQUEST, 0, HttpHello.BAD_REQUEST.length, 1), 0);
                            fresh.expectEnd();
                            fresh.close();
                            fresh = null;
                        } else if (httpProto && dice < 94) {
                            step = "oversized header block";
                            fresh = connect(address);
                            byte[] big = ("GET / HTTP/1.1\r\nX-Big: " + "a".repeat(9000) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
                            fresh.exchange(new Exchange(big, 0, big.length, HttpHello.TOO_LARGE, 0, HttpHello.TOO_LARGE.length, 1), 0);
                            fresh.expectEnd();
                            fresh.close();
                            fresh = null;
                        } else {
                            step = "pause";
                            Thread.sleep(5 + random.nextInt(30));
                        }
                        // Paced: the soak is about time under varied traffic, not peak load, and
                        // the samplers need CPU left on a small machine.
                        Thread.sleep(PACE_MS);
                    } catch (IOException e) {
                        error(name + " " + step + ": " + e.getMessage());
                        if (pool[p] != null) {
                            pool[p].reset();
                            pool[p] = null;
                        }
                        if (fresh != null) fresh.reset();
                    }
                }
            } finally {
                for (Peer c : pool) if (c != null) c.close();
            }
        }

        /** A round trip: up to 256 KiB of echo, or up to 32 pipelined requests. */
        private Exchange small() {
            return httpProto ? http(1 + random.nextInt(32)) : echo(logUniform(random, 1, 256 * 1024));
        }

        /** A slow reader's load: 1 to 8 MiB of echo, or 10,000 to 40,000 requests (0.8 to 3 MiB of answers). */
        private Exchange large() {
            return httpProto ? http(10_000 + random.nextInt(MAX_HTTP_BATCH - 10_000)) : echo(logUniform(random, 1 << 20, 8 << 20));
        }
    }

    /** Holds idle connections, replaces a few now and then, and checks that they still answer. */
    private final class IdleWorker extends SelectorWorker {
        private static final int IDLE = 100;

        IdleWorker() {
            super("idle");
        }

        @Override
        void loop() throws IOException, InterruptedException {
            SocketAddress[] where = new SocketAddress[IDLE];
            Peer[] idle = new Peer[IDLE];
            try {
                for (int i = 0; i < IDLE; i++) where[i] = i % 5 == 0 ? targets.unix : i % 5 == 1 ? targets.http : targets.echo;
                while (!stopping) {
                    for (int i = 0; i < IDLE && !stopping; i++) {
                        if (idle[i] != null) continue;
                        try {
                            idle[i] = connect(where[i]);
                        } catch (IOException e) {
                            error("idle connect: " + e.getMessage());
                        }
                    }
                    Thread.sleep(500);
                    for (int k = 0; k < 5; k++) {
                        int i = random.nextInt(IDLE);
                        if (idle[i] == null) continue;
                        try {
                            idle[i].exchange(where[i] == targets.http ? http(1) : echo(1 + random.nextInt(64)), 0);
                        } catch (IOException e) {
                            error("idle connection check: " + e.getMessage());
                        }
                        if (random.nextBoolean()) idle[i].close();
                        else idle[i].reset();
                        idle[i] = null;
                    }
                }
            } finally {
                for (Peer c : idle) if (c != null) c.close();
            }
        }
    }

    // ------------------------------------------------------------------ datagrams

    /** Bursts of datagrams of every size, each echo checked; a new socket now and then. */
    private final class UdpWorker {
        private final Random random = new Random(seed ^ 0x5EED);

        void run() {
            byte[] buf = new byte[65_536];
            while (!stopping) {
                try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
                    s.connect(targets.udp);
                    s.setSoTimeout(5000);
                    s.setReceiveBufferSize(1 << 20);
                    s.setSendBufferSize(1 << 20);
                    for (int sent = 0; sent < 300 && !stopping; ) {
                        // A burst stays far below the default receive buffer (208 KiB, counted in
                        // the kernel's allocation sizes, about twice a large datagram's length), so
                        // loopback drops nothing: a 64 KiB datagram travels alone, the others in at
                        // most 8 of up to 9,000 bytes.
                        boolean largest = random.nextInt(50) == 0;
                        int burst = largest ? 1 : 1 + random.nextInt(8);
                        int[] off = new int[burst];
                        int[] len = new int[burst];
                        for (int i = 0; i < burst; i++) {
                            len[i] = largest ? 65_507 : random.nextInt(5) == 0 ? logUniform(random, 1473, 9000) : logUniform(random, 1, 1472);
                            off[i] = random.nextInt(NOISE_SIZE - len[i]);
                            s.send(new DatagramPacket(noise, off[i], len[i]));
                        }
                        for (int i = 0; i < burst; i++) {
                            DatagramPacket p = new DatagramPacket(buf, buf.length);
                            try {
                                s.receive(p);
                            } catch (SocketTimeoutException e) {
                                throw new Mismatch("no echo of datagram " + (i + 1) + " of a burst of " + burst + " within 5 s");
                            }
                            if (p.getLength() != len[i]) {
                                throw new Mismatch("echo of a " + len[i] + "-byte datagram has " + p.getLength() + " bytes");
                            }
                            if (Arrays.mismatch(buf, 0, len[i], noise, off[i], off[i] + len[i]) >= 0) {
                                throw new Mismatch("echo of a " + len[i] + "-byte datagram differs");
                            }
                            datagrams.incrementAndGet();
                            messages.incrementAndGet();
                            bytes.addAndGet(len[i]);
                        }
                        sent += burst;
                    }
                } catch (IOException e) {
                    error("udp: " + e.getMessage());
                }
            }
        }
    }
}
