package io.ffmepoll.reactor;

import io.ffmepoll.epoll.Epoll;
import io.ffmepoll.epoll.EventArray;
import io.ffmepoll.epoll.Interest;
import io.ffmepoll.internal.sys.FaultPlan;
import io.ffmepoll.socket.StreamListener;
import io.ffmepoll.socket.StreamSocket;
import io.ffmepoll.socket.TcpListener;
import io.ffmepoll.socket.TcpStream;
import io.ffmepoll.socket.UnixStream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The scenarios a fault schedule runs, and their invariants. The peer is the JDK's own socket
 * code (which does not go through the fault layer), so what it receives is the truth:
 * <ul>
 * <li>every byte sent is delivered once and in order, or the connection ended and the handler
 *     was told why (a non-null cause); with only transparent faults, every byte;</li>
 * <li>nothing written is lost without an error;</li>
 * <li>no loop died, no handler or task failed ({@link LoopCounters#failures()});</li>
 * <li>everything ends within a bounded time (socket timeouts, bounded waits);</li>
 * <li>no descriptor left open (checked by the caller).</li>
 * </ul>
 */
final class FaultScenarios {

    /** Bound for any one wait in a scenario: a healthy schedule takes milliseconds. */
    static final int TIMEOUT_MS = 5_000;

    enum Scenario { SOCKET_TRANSFER, TCP_ECHO, UNIX_ECHO, HTTP, UDP, CLIENT_CONNECT, TIMERS_AND_TASKS, SHUTDOWN }

    /** What a schedule did: its parameters, the faults injected, and the first broken invariant. */
    record Outcome(long seed, Scenario scenario, int kinds, double rate, String injectedByKind, long injected,
                   String failure) {
        Outcome failed(String why) {
            return new Outcome(seed, scenario, kinds, rate, injectedByKind, injected, why);
        }

        String describe() {
            return "seed " + seed + " " + scenario + " kinds=" + FaultPlan.kindNames(kinds) + " rate=" + rate
                    + " injected[" + injectedByKind + "]" + (failure != null ? ": " + failure : "");
        }
    }

    /** An invariant did not hold. */
    static final class Broken extends Exception {
        Broken(String message) {
            super(message);
        }
    }

    private final SplittableRandom random;
    private final boolean strict;   // only transparent faults: everything must arrive
    private final boolean verbose;

    private FaultScenarios(SplittableRandom random, boolean strict, boolean verbose) {
        this.random = random;
        this.strict = strict;
        this.verbose = verbose;
    }

    static Outcome run(long seed, int allowed, boolean verbose) {
        SplittableRandom r = new SplittableRandom(seed);
        Scenario scenario = Scenario.values()[r.nextInt(Scenario.values().length)];
        if (System.getProperty("ffmepoll.scenario") != null) scenario = Scenario.valueOf(System.getProperty("ffmepoll.scenario"));
        int kinds = 0;
        for (int bit = 1; bit <= FaultPlan.ALL; bit <<= 1) if (r.nextInt(3) != 0) kinds |= bit;
        if (r.nextInt(4) == 0) kinds &= FaultPlan.TRANSPARENT;   // a quarter must deliver every byte
        kinds &= allowed;
        double rate = new double[] {0.01, 0.05, 0.15, 0.4}[r.nextInt(4)];
        FaultScenarios s = new FaultScenarios(r, (kinds & ~FaultPlan.TRANSPARENT) == 0, verbose);
        FaultPlan plan = FaultPlan.get();
        String failure = null;
        plan.begin(seed, kinds, rate);
        try {
            s.run(scenario);
        } catch (Broken b) {
            failure = b.getMessage();
            if (Boolean.getBoolean("ffmepoll.trace")) {
                System.out.println("---- trace of seed " + seed + ": " + failure + "\n" + plan.traceText() + "\n---- state\n" + s.stateAtFailure);
            }
        } catch (Throwable t) {
            failure = "unexpected " + t;
            if (verbose) t.printStackTrace(System.out);
        } finally {
            long total = plan.injectedTotal();
            String byKind = plan.end();
            return new Outcome(seed, scenario, kinds, rate, byKind, total, failure);
        }
    }

    /**
     * Runs every scenario once without faults, so that what the JDK opens once and keeps (on
     * the first socket, the first virtual thread...) is open before the first leak check.
     */
    static void warmUp() throws Exception {
        for (Scenario s : Scenario.values()) new FaultScenarios(new SplittableRandom(s.ordinal()), true, false).run(s);
    }

    private void run(Scenario scenario) throws Exception {
        switch (scenario) {
            case SOCKET_TRANSFER -> socketTransfer();
            case TCP_ECHO -> echo(false);
            case UNIX_ECHO -> echo(true);
            case HTTP -> http();
            case UDP -> udp();
            case CLIENT_CONNECT -> clientConnect();
            case TIMERS_AND_TASKS -> timersAndTasks();
            case SHUTDOWN -> shutdown();
        }
    }

    private final long started = System.nanoTime();
    /** The reactor under test, and its connections' state when an exchange timed out. */
    private Reactor current;
    private String stateAtFailure = "";

    /** Every field of every registration of {@code r}'s loops (for a failed schedule's report). */
    static String dump(Reactor r) {
        if (r == null) return "";
        StringBuilder b = new StringBuilder();
        for (EventLoop l : r.loops()) {
            try {
                l.submit(() -> {
                    l.tokens.forEach(reg -> {
                        b.append(reg).append(':');
                        for (Class<?> c = reg.getClass(); c != Object.class; c = c.getSuperclass()) {
                            for (java.lang.reflect.Field f : c.getDeclaredFields()) {
                                if (java.lang.reflect.Modifier.isStatic(f.getModifiers())) continue;
                                if (!f.getType().isPrimitive()) continue;
                                try {
                                    f.setAccessible(true);
                                    b.append(' ').append(f.getName()).append('=').append(f.get(reg));
                                } catch (ReflectiveOperationException | RuntimeException e) {
                                    b.append(' ').append(f.getName()).append("=?");
                                }
                            }
                        }
                        b.append('\n');
                    });
                    return null;
                }).get(2, TimeUnit.SECONDS);
            } catch (Exception e) {
                b.append("loop ").append(l.index()).append(": ").append(e).append('\n');
            }
        }
        return b.toString();
    }

    private void log(String s) {
        if (verbose) System.out.printf("  %5d ms  %s%n", (System.nanoTime() - started) / 1_000_000, s);
    }

    private static void check(boolean ok, String what) throws Broken {
        if (!ok) throw new Broken(what);
    }

    /** A failure the fault layer may cause: only an I/O error, and only when errors are injected. */
    private void expectable(Throwable t) throws Broken {
        Throwable c = t instanceof CompletionException || t instanceof ExecutionException ? t.getCause() : t;
        if (strict) throw new Broken("failed under transparent faults only: " + c);
        if (!(c instanceof IOException)) throw new Broken("failed with a non-I/O exception: " + c);
        log("expected failure: " + c);
    }

    private Reactor.Builder builder(int loops) {
        int buffer = 256 << random.nextInt(6);   // 256 B .. 8 KiB: many reads per transfer
        return Reactor.builder().loops(loops).threadName("fault-loop")
                .readBufferSize(buffer)
                .readBudget(buffer << random.nextInt(4))
                .writeChunkSize(256 << random.nextInt(5))
                .watermarks(1024, 4096)
                .acceptBackoff(Duration.ofMillis(1))
                .linger(Duration.ofMillis(50))
                .tcpNoDelay(true)
                .closeGrace(Duration.ofMillis(500));
    }

    /** Builds a reactor; null if the faults made that fail (checked to be an I/O error). */
    private Reactor reactor(Reactor.Builder b) throws Broken {
        try {
            return b.build();
        } catch (IOException | RuntimeException e) {
            expectable(e);
            return null;
        }
    }

    /** Closes {@code r} (a graceful shutdown under the same faults) and checks its loops' health. */
    private void finish(Reactor r) throws Exception {
        log("closing the reactor");
        for (EventLoop l : r.loops()) check(!l.isTerminated(), "loop " + l.index() + " ended before shutdown");
        long failures = r.counters().stream().mapToLong(LoopCounters::handlerFailures).sum();
        long start = System.nanoTime();
        r.close();
        check(r.isTerminated(), "loops did not end after close");
        long ms = (System.nanoTime() - start) / 1_000_000;
        check(ms < TIMEOUT_MS, "shutdown took " + ms + " ms");
        check(failures == 0, failures + " handler/task failure(s) counted");
    }

    private byte[] data(int max) {
        byte[] b = new byte[1 + random.nextInt(max)];
        random.nextBytes(b);
        return b;
    }

    /** The server side of a connection: what it was told. */
    static class Seen implements Handler {
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        final AtomicReference<Throwable> cause = new AtomicReference<>();
        final CompletableFuture<Void> closed = new CompletableFuture<>();
        volatile boolean opened;

        @Override
        public void onOpen(Connection c) {
            opened = true;
        }

        @Override
        public void onRead(Connection c, MemorySegment data) {
            received.writeBytes(data.toArray(ValueLayout.JAVA_BYTE));
        }

        @Override
        public void onClose(Connection c, Throwable cause) {
            this.cause.set(cause);
            closed.complete(null);
        }
    }

    // ---- scenarios

    /** The socket layer alone: a stream pair driven by an edge-triggered epoll on this thread. */
    private void socketTransfer() throws Exception {
        byte[] data = data(64 * 1024);
        StreamSocket a, b;
        StreamListener listener = null;
        try {
            if (random.nextBoolean()) {
                UnixStream[] pair = UnixStream.pair();
                a = pair[0];
                b = pair[1];
            } else {
                listener = TcpListener.bind(FaultScheduleTest.loopback(), 4);
                a = TcpStream.connect(((TcpListener) listener).localAddress());
                b = null;
            }
        } catch (IOException e) {
            expectable(e);
            if (listener != null) listener.close();
            return;
        }
        byte[] got = new byte[data.length];
        int sent = 0, received = 0;
        IOException failure = null;
        try (Arena arena = Arena.ofConfined(); Epoll epoll = Epoll.open(); EventArray events = EventArray.allocate(4)) {
            MemorySegment src = arena.allocate(data.length);
            MemorySegment.copy(data, 0, src, ValueLayout.JAVA_BYTE, 0, data.length);
            MemorySegment dst = arena.allocate(data.length);
            Interest et = Interest.of(Interest.IN, Interest.OUT, Interest.ET);
            epoll.add(a, et, 1);
            if (listener != null) epoll.add(listener, Interest.of(Interest.IN, Interest.ET), 3);
            else epoll.add(b, et, 2);
            boolean writerDone = false;
            long deadline = System.nanoTime() + TIMEOUT_MS * 1_000_000L;
            try {
            outer:
            while (received < data.length) {
                if (System.nanoTime() - deadline > 0) throw new Broken("socket transfer hung at " + received + "/" + data.length);
                if (b == null && listener != null) {
                    StreamSocket s;
                    try {
                        s = listener.accept();
                    } catch (io.ffmepoll.epoll.NativeIOException e) {
                        // accept's documented transient errors: the connection stays pending
                        if (!Set.of("EINTR", "ENOBUFS", "ENOMEM", "ECONNABORTED").contains(e.errnoName())) throw e;
                        s = null;
                    }
                    if (s != null) {
                        b = s;
                        epoll.add(b, et, 2);
                    }
                }
                // write until WOULD_BLOCK or short, read until WOULD_BLOCK or short: what an ET user does
                while (!writerDone && sent < data.length) {
                    MemorySegment rest = src.asSlice(sent);
                    long n;
                    if (random.nextBoolean() && rest.byteSize() > 1) {
                        long half = rest.byteSize() / 2;
                        n = a.write(new MemorySegment[] {rest.asSlice(0, half), rest.asSlice(half)}, 0, 2);
                    } else {
                        n = a.write(rest);
                    }
                    if (n == StreamSocket.WOULD_BLOCK) break;
                    sent += (int) n;
                    if (n < rest.byteSize()) break;
                }
                if (sent == data.length && !writerDone) {
                    writerDone = true;
                    a.shutdownOutput();
                }
                while (b != null) {
                    MemorySegment room = dst.asSlice(received, data.length - received);
                    long n = random.nextBoolean() && room.byteSize() > 1
                            ? b.read(new MemorySegment[] {room.asSlice(0, room.byteSize() / 2), room.asSlice(room.byteSize() / 2)}, 0, 2)
                            : b.read(room);
                    if (n == StreamSocket.WOULD_BLOCK) break;
                    if (n == StreamSocket.EOF) break outer;
                    received += (int) n;
                    if (received == data.length) break outer;
                }
                epoll.wait(events, 100);
            }
            } finally {
                MemorySegment.copy(dst, ValueLayout.JAVA_BYTE, 0, got, 0, received);
            }
        } catch (IOException e) {
            failure = e;
        } finally {
            a.close();
            if (b != null) b.close();
            if (listener != null) listener.close();
        }
        check(Arrays.equals(Arrays.copyOf(got, received), Arrays.copyOf(data, received)),
                "socket transfer: received bytes differ from those sent");
        if (failure != null) {
            expectable(failure);
        } else {
            check(received == data.length, "socket transfer: EOF after " + received + " of " + data.length + " bytes");
        }
        log("socket transfer: " + received + "/" + data.length);
    }

    /** The reactor's echo over TCP or a Unix socket; the client sends, half-closes, reads to EOF. */
    private void echo(boolean unix) throws Exception {
        Reactor r = reactor(builder(1 + random.nextInt(2)));
        if (r == null) return;
        current = r;
        Path path = unix ? socketDirectory().resolve("s" + UNIX_NAMES.incrementAndGet()) : null;
        try {
            ConcurrentLinkedQueue<Seen> servers = new ConcurrentLinkedQueue<>();
            SocketAddress address = unix ? UnixDomainSocketAddress.of(path) : FaultScheduleTest.loopback();
            Listener l = listen(r, address, EchoHandler::new, servers);
            if (l == null) return;
            try (l) {
                int clients = 1 + random.nextInt(3);
                for (int i = 0; i < clients; i++) {
                    byte[] data = data(16 * 1024);
                    SocketAddress target = unix ? address : new InetSocketAddress("127.0.0.1", l.port());
                    exchange(target, data, data, servers);
                }
            }
            finish(r);
        } finally {
            if (path != null) Files.deleteIfExists(path);
        }
    }

    private static final AtomicInteger UNIX_NAMES = new AtomicInteger();
    private static Path socketDirectory;

    /** One directory for every schedule's Unix socket, removed when the JVM exits. */
    private static synchronized Path socketDirectory() throws IOException {
        if (socketDirectory == null) {
            socketDirectory = Files.createTempDirectory("ffm-faults");
            socketDirectory.toFile().deleteOnExit();
        }
        return socketDirectory;
    }

    /** Echo with watermarks; records what it was told. */
    static class EchoHandler extends Seen {
        @Override
        public void onRead(Connection c, MemorySegment data) {
            super.onRead(c, data);
            if (!c.write(data)) c.pauseReading();
        }

        @Override
        public void onWritabilityChanged(Connection c, boolean writable) {
            if (writable) c.resumeReading();
        }
    }

    /**
     * One client connection: sends {@code request}, half-closes, reads to EOF and checks the
     * reply against {@code expected} and what the server's handler saw.
     */
    private void exchange(SocketAddress target, byte[] request, byte[] expected, ConcurrentLinkedQueue<Seen> servers)
            throws Exception {
        byte[] reply;
        boolean reset = false;
        int before = servers.size();
        // Half-close at once, or only after the whole reply (a client that waits for its answer:
        // then no FIN arrives to wake a server that stopped reading too early).
        boolean waitForReply = random.nextBoolean();
        try (SocketChannel ch = SocketChannel.open(target)) {
            OutputStream out = Channels.newOutputStream(ch);
            Thread writer = Thread.ofPlatform().name("fault-client-writer").start(() -> {
                try {
                    out.write(request);
                    if (!waitForReply) ch.shutdownOutput();
                } catch (IOException ignored) {
                    // the server closed: the reader sees it
                }
            });
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            try {
                readToEof(ch, got, waitForReply ? expected.length : -1);
            } catch (TimeoutException e) {
                if (Boolean.getBoolean("ffmepoll.trace")) stateAtFailure = dump(current);
                throw new Broken("client read timed out after " + got.size() + " of " + expected.length + " bytes");
            } catch (IOException e) {
                reset = true;   // ECONNRESET: the server closed with unread input
            }
            writer.join(TIMEOUT_MS);
            reply = got.toByteArray();
        }
        // The client saw EOF or a reset: a connection that was served had its handler made first.
        Seen server = null;
        for (Seen s : servers) server = s;
        if (servers.size() == before || !server.opened) {
            // never accepted (the EMFILE policy refuses pending connections) or never registered
            // (epoll_ctl failed): the handler was not opened, so there is nobody to tell
            check(!strict, "no connection was accepted under transparent faults");
            check(reply.length == 0, "a reply without a connection");
            return;
        }
        try {
            // A handler whose connection could not be registered (epoll_ctl failed) was never
            // opened, so it has nothing to be told; the client saw the close.
            if (server.opened || strict) server.closed.get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new Broken("the server's handler was never told the connection closed");
        }
        int n = Math.min(reply.length, expected.length);
        check(Arrays.equals(Arrays.copyOf(reply, n), Arrays.copyOf(expected, n)) && reply.length <= expected.length,
                "reply is not a prefix of the expected bytes (" + reply.length + " bytes)");
        byte[] in = server.received.toByteArray();
        check(Arrays.equals(in, Arrays.copyOf(request, in.length)) && in.length <= request.length,
                "the server received bytes that are not a prefix of those sent (" + in.length + ")");
        Throwable cause = server.cause.get();
        if (reply.length < expected.length || reset) {
            check(cause != null, "connection ended after " + reply.length + " of " + expected.length
                    + " bytes (server got " + in.length + " of " + request.length + ")" + (reset ? " with a reset" : "")
                    + " and the handler was told no cause");
            check(!strict, "connection ended early under transparent faults: " + cause);
        }
        log("exchange: " + reply.length + "/" + expected.length + (cause != null ? " cause " + cause : ""));
    }

    /**
     * Reads to EOF, half-closing after {@code halfCloseAt} bytes if that is not negative; a
     * watchdog closes the channel after the timeout (Unix channels have no SO_TIMEOUT).
     */
    private static void readToEof(SocketChannel ch, ByteArrayOutputStream got, int halfCloseAt)
            throws IOException, TimeoutException {
        InputStream in = Channels.newInputStream(ch);
        Thread watchdog = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(TIMEOUT_MS);
                ch.close();
            } catch (InterruptedException | IOException done) {
                // finished in time
            }
        });
        try {
            byte[] buf = new byte[8192];
            if (halfCloseAt == 0) ch.shutdownOutput();
            for (int n; (n = in.read(buf)) >= 0; ) {
                got.write(buf, 0, n);
                if (halfCloseAt > 0 && got.size() >= halfCloseAt) ch.shutdownOutput();
            }
        } catch (java.nio.channels.AsynchronousCloseException e) {
            throw new TimeoutException("no EOF in " + TIMEOUT_MS + " ms");
        } finally {
            watchdog.interrupt();
        }
    }

    /**
     * Listens with handlers from {@code make}, each recorded in {@code servers}; null (the reactor
     * closed) if the faults made listening fail, which must be an I/O error.
     */
    private Listener listen(Reactor r, SocketAddress address, java.util.function.Supplier<Seen> make,
                            ConcurrentLinkedQueue<Seen> servers) throws Exception {
        try {
            return r.listen(address, () -> {
                Seen s = make.get();
                servers.add(s);
                return s;
            });
        } catch (IOException | RuntimeException e) {
            expectable(e);
            finish(r);
            return null;
        }
    }

    /** HTTP-like: pipelined "n\n" requests, each answered with n bytes of a pattern. */
    private void http() throws Exception {
        Reactor r = reactor(builder(1));
        if (r == null) return;
        ConcurrentLinkedQueue<Seen> servers = new ConcurrentLinkedQueue<>();
        Listener l = listen(r, FaultScheduleTest.loopback(), HttpHandler::new, servers);
        if (l == null) return;
        try (l) {
            int requests = 1 + random.nextInt(6);
            StringBuilder req = new StringBuilder();
            ByteArrayOutputStream expected = new ByteArrayOutputStream();
            for (int i = 0; i < requests; i++) {
                int size = random.nextInt(6000);
                req.append(size).append('\n');
                expected.writeBytes(HttpHandler.body(size));
            }
            exchange(new InetSocketAddress("127.0.0.1", l.port()), req.toString().getBytes(), expected.toByteArray(), servers);
        }
        finish(r);
    }

    /** Answers each line "n" with n bytes; closes after the peer's EOF once everything is flushed. */
    static final class HttpHandler extends Seen {
        private final StringBuilder line = new StringBuilder();

        static byte[] body(int n) {
            byte[] b = new byte[n];
            for (int i = 0; i < n; i++) b[i] = (byte) (i * 31 + n);
            return b;
        }

        @Override
        public void onRead(Connection c, MemorySegment data) {
            super.onRead(c, data);
            for (long i = 0; i < data.byteSize(); i++) {
                char ch = (char) data.get(ValueLayout.JAVA_BYTE, i);
                if (ch != '\n') {
                    line.append(ch);
                    continue;
                }
                c.write(body(Integer.parseInt(line.toString())));
                line.setLength(0);
            }
        }
    }

    /** UDP echo: every datagram comes back intact at most once; the ones that do not are counted as dropped. */
    private void udp() throws Exception {
        Reactor r = reactor(builder(1));
        if (r == null) return;
        Set<DatagramEndpoint> endpoints = java.util.concurrent.ConcurrentHashMap.newKeySet();
        AtomicInteger seen = new AtomicInteger();
        Listener l;
        try {
            l = r.bindUdp(FaultScheduleTest.loopback(), () -> (ep, data, sender) -> {
                endpoints.add(ep);
                seen.incrementAndGet();
                ep.send(data, sender);
            });
        } catch (IOException | RuntimeException e) {
            expectable(e);
            finish(r);
            return;
        }
        try (l; DatagramChannel ch = DatagramChannel.open()) {
            ch.connect(new InetSocketAddress("127.0.0.1", l.port()));
            int count = 1 + random.nextInt(40);
            byte[][] sent = new byte[count][];
            for (int i = 0; i < count; i++) {
                byte[] d = data(1400);
                if (d.length < 4) d = new byte[4];
                ByteBuffer.wrap(d).putInt(0, i);
                sent[i] = d;
                ch.write(ByteBuffer.wrap(d));
            }
            // the server must see every datagram (loopback drops none at this volume)
            long deadline = System.nanoTime() + TIMEOUT_MS * 1_000_000L;
            while (seen.get() < count && System.nanoTime() - deadline < 0) Thread.sleep(1);
            check(seen.get() == count, "UDP server saw " + seen.get() + " of " + count + " datagrams");
            long dropped = 0;
            CompletableFuture<Long> d = r.loops().get(0).submit(() -> endpoints.stream().mapToLong(DatagramEndpoint::dropped).sum());
            dropped = d.get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            ch.configureBlocking(false);
            Set<Integer> back = new HashSet<>();
            ByteBuffer buf = ByteBuffer.allocate(2048);
            deadline = System.nanoTime() + TIMEOUT_MS * 1_000_000L;
            while (back.size() < count - dropped && System.nanoTime() - deadline < 0) {
                buf.clear();
                if (ch.receive(buf) == null) {
                    Thread.sleep(1);
                    continue;
                }
                buf.flip();
                int i = buf.getInt(0);
                check(i >= 0 && i < count, "an echoed datagram that was never sent");
                check(buf.remaining() == sent[i].length
                        && Arrays.equals(Arrays.copyOf(buf.array(), buf.remaining()), sent[i]), "echo " + i + " corrupted");
                check(back.add(i), "echo " + i + " delivered twice");
            }
            check(back.size() == count - dropped, "UDP: " + back.size() + " echoes of " + count + " with " + dropped
                    + " counted as dropped");
            log("udp: " + back.size() + "/" + count + " dropped " + dropped);
        }
        finish(r);
    }

    /** Reactor.connect to a JDK server that echoes to EOF. */
    private void clientConnect() throws Exception {
        Reactor r = reactor(builder(1));
        if (r == null) return;
        byte[] data = data(32 * 1024);
        try (ServerSocket server = new ServerSocket(0, 4, java.net.InetAddress.getLoopbackAddress())) {
            server.setSoTimeout(TIMEOUT_MS);
            Thread peer = Thread.ofPlatform().name("fault-peer").start(() -> {
                try (Socket s = server.accept()) {
                    s.setSoTimeout(TIMEOUT_MS);
                    byte[] all = s.getInputStream().readAllBytes();
                    s.getOutputStream().write(all);
                } catch (IOException ignored) {
                    // the client failed or reset: checked on the client's side
                }
            });
            Seen client = new Seen() {
                @Override
                public void onOpen(Connection c) {
                    super.onOpen(c);
                    c.write(data);
                    c.shutdownOutput();
                }
            };
            log("connecting");
            CompletableFuture<Connection> f = r.connect(new InetSocketAddress("127.0.0.1", server.getLocalPort()), client);
            boolean connected;
            try {
                f.get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
                connected = true;
            } catch (ExecutionException e) {
                expectable(e.getCause());
                connected = false;
            } catch (TimeoutException e) {
                throw new Broken("connect did not complete");
            }
            if (!connected) {
                server.close();
                peer.join(TIMEOUT_MS);
                finish(r);
                return;
            }
            log("connected");
            try {
                client.closed.get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
                log("closed");
            } catch (TimeoutException e) {
                throw new Broken("client connection never closed; got " + client.received.size() + " of " + data.length);
            }
            peer.join(TIMEOUT_MS);
            log("peer done");
            byte[] got = client.received.toByteArray();
            check(got.length <= data.length && Arrays.equals(got, Arrays.copyOf(data, got.length)),
                    "client received bytes that are not a prefix of the echo");
            if (got.length < data.length) {
                check(client.cause.get() != null, "client got " + got.length + " of " + data.length + " and no cause");
                check(!strict, "client ended early under transparent faults: " + client.cause.get());
            }
            log("client: " + got.length + "/" + data.length);
        }
        finish(r);
    }

    /** Timers (some cancelled) and tasks from two other threads on two loops: each runs exactly once, on time. */
    private void timersAndTasks() throws Exception {
        Reactor r = reactor(builder(2));
        if (r == null) return;
        int timers = 1 + random.nextInt(20), tasks = 1 + random.nextInt(100);
        AtomicIntegerArray timerRuns = new AtomicIntegerArray(timers), taskRuns = new AtomicIntegerArray(tasks);
        boolean[] cancelled = new boolean[timers];
        long[] deadlines = new long[timers];
        AtomicInteger early = new AtomicInteger();
        Timeout[] handles = new Timeout[timers];
        for (int i = 0; i < timers; i++) {
            int k = i;
            long delay = random.nextLong(3_000_000);
            EventLoop loop = r.loops().get(random.nextInt(2));
            deadlines[i] = System.nanoTime() + delay;
            handles[i] = loop.scheduleAt(deadlines[i], () -> {
                if (System.nanoTime() - deadlines[k] < 0) early.incrementAndGet();
                timerRuns.incrementAndGet(k);
            });
        }
        for (int i = 0; i < timers; i++) if (random.nextInt(4) == 0) cancelled[i] = handles[i].cancel();
        long seed = random.nextLong();
        Thread[] senders = new Thread[2];
        for (int t = 0; t < 2; t++) {
            int first = t;
            senders[t] = Thread.ofPlatform().name("fault-sender-" + t).start(() -> {
                SplittableRandom rr = new SplittableRandom(seed + first);
                for (int i = first; i < tasks; i += 2) {
                    int k = i;
                    r.loops().get(rr.nextInt(2)).execute(() -> taskRuns.incrementAndGet(k));
                }
            });
        }
        for (Thread t : senders) t.join(TIMEOUT_MS);
        long deadline = System.nanoTime() + TIMEOUT_MS * 1_000_000L;
        for (;;) {
            boolean done = true;
            for (int i = 0; i < tasks && done; i++) done = taskRuns.get(i) == 1;
            for (int i = 0; i < timers && done; i++) done = cancelled[i] || timerRuns.get(i) == 1;
            if (done) break;
            if (System.nanoTime() - deadline > 0) {
                throw new Broken("tasks/timers did not all run: tasks " + taskRuns + " timers " + timerRuns);
            }
            Thread.sleep(1);
        }
        Thread.sleep(4);   // past every deadline: a cancelled timer that runs shows now
        for (int i = 0; i < tasks; i++) check(taskRuns.get(i) == 1, "task " + i + " ran " + taskRuns.get(i) + " times");
        for (int i = 0; i < timers; i++) {
            check(timerRuns.get(i) == (cancelled[i] ? 0 : 1), "timer " + i + (cancelled[i] ? " (cancelled)" : "")
                    + " ran " + timerRuns.get(i) + " times");
        }
        check(early.get() == 0, early.get() + " timer(s) ran before their deadline");
        finish(r);
    }

    /** Graceful shutdown with connections open, one of them mid-transfer and not reading. */
    private void shutdown() throws Exception {
        Reactor r = reactor(builder(1 + random.nextInt(2)).closeGrace(Duration.ofMillis(100)));
        if (r == null) return;
        ConcurrentLinkedQueue<Seen> servers = new ConcurrentLinkedQueue<>();
        Listener l = listen(r, FaultScheduleTest.loopback(), EchoHandler::new, servers);
        if (l == null) return;
        List<Socket> clients = new java.util.ArrayList<>();
        try {
            int n = 1 + random.nextInt(3);
            for (int i = 0; i < n; i++) {
                Socket s = new Socket();
                clients.add(s);
                s.connect(new InetSocketAddress("127.0.0.1", l.port()), TIMEOUT_MS);
                s.setSoTimeout(TIMEOUT_MS);
                s.getOutputStream().write(data(16 * 1024));
            }
            l.close();
            finish(r);   // bounded: the grace period, then everything is closed
            for (Socket s : clients) {
                try {
                    InputStream in = s.getInputStream();
                    byte[] buf = new byte[8192];
                    while (in.read(buf) >= 0) {
                        // drain to EOF: the reactor must have closed it
                    }
                } catch (SocketTimeoutException e) {
                    throw new Broken("a client was never closed by the shutdown");
                } catch (IOException reset) {
                    // closed with a reset: also an end
                }
            }
        } finally {
            for (Socket s : clients) s.close();
        }
        for (Seen s : servers) check(!s.opened || s.closed.isDone(), "a handler was not told of its connection's close");
    }
}
