package io.ffmepoll.reactor;

import io.ffmepoll.epoll.ModelTries;
import io.ffmepoll.socket.Option;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.state.Action;
import net.jqwik.api.state.ActionChain;
import net.jqwik.api.state.Transformer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The reactor against a model of its peers: random sequences of connects (peers connecting,
 * and {@code Reactor.connect} to a peer), sends of 0 B to
 * 1 MiB, pause/resume on either side, server responses, shutdownOutput, close and abort, peer half-close and reset, timers
 * (some cancelled), tasks executed from other threads, and a graceful shutdown with a reply,
 * tasks and a timer in flight, then tasks and connects after it (refused or run once). The server is
 * an echo with backpressure; the model predicts, for every connection, how many bytes each side
 * must have received, which end-of-stream the peer sees (none, EOF, reset) and how the server's
 * connection ended (open, orderly, with an I/O error); for timers and tasks, that each ran
 * exactly once, on its loop, in order and not early, or never if cancelled.
 *
 * <h2>How a step is checked</h2>
 * Each action acts, then waits (bounded) until what the peers and handlers observed equals
 * the model's prediction, and fails with both renderings if it does not get there: bytes that
 * should not arrive are caught by the next step's comparison. Every byte is checked against a
 * pattern by its stream offset, on both sides.
 * <p>Run longer with {@code -Dffmepoll.model.scale=N} (see {@link ModelTries}).
 */
class ReactorModelTest {

    static final int MAX_CONNECTIONS = 3;
    static final Duration SETTLE = Duration.ofSeconds(10);
    static final long LINGER_MILLIS = 50;
    static final int SMALL_BUFFER = 4096;
    /** Short, so that a close whose peer does not read meets its deadline within a step. */
    static final Duration CLOSE_FLUSH_TIMEOUT = Duration.ofMillis(500);

    private final List<World> worlds = new ArrayList<>();
    private Settings settings;

    /** The reactor's buffer sizes and watermarks: small ones make every read, yield and queue path run. */
    record Settings(int readBuffer, int budgetBuffers, int low, int high, int chunk, boolean smallSocketBuffers) {
        Reactor.Builder apply(Reactor.Builder b) {
            return b.readBufferSize(readBuffer).readBudget(readBuffer * budgetBuffers).watermarks(low, high)
                    .writeChunkSize(chunk);
        }

        @Override
        public String toString() {
            return "reactor(read buffer " + readBuffer + " B, budget " + budgetBuffers + " buffers, watermarks "
                    + low + ".." + high + " B, chunks " + chunk + " B" + (smallSocketBuffers ? ", 4 KiB socket buffers" : "") + ")";
        }
    }

    @Provide
    Arbitrary<Settings> configs() {
        // A low watermark of 0: writable again only once the queue is empty (#8 item 14).
        Arbitrary<int[]> watermarks = Arbitraries.of(new int[] {32 * 1024, 64 * 1024}, new int[] {1024, 4096},
                new int[] {1, 2}, new int[] {0, 4096}, new int[] {0, 1});
        // Small socket buffers make output queue in the reactor after a few KiB instead of MiBs.
        return Combinators.combine(Arbitraries.of(64 * 1024, 4096, 256), Arbitraries.of(4, 1), watermarks,
                Arbitraries.of(16 * 1024, 256), Arbitraries.of(false, true))
                .as((read, budget, w, chunk, small) -> new Settings(read, budget, w[0], w[1], chunk, small));
    }

    @Property(tries = 50)
    @AddLifecycleHook(ModelTries.class)
    void echoPeersReceiveWhatTheModelPredicts(@ForAll("configs") Settings settings,
                                               @ForAll("chains") ActionChain<World> chain) throws Exception {
        this.settings = settings;
        try {
            World w = chain.run();
            w.finish();
        } finally {
            for (World w : worlds) w.closeQuietly();
            worlds.clear();
        }
    }

    @Provide
    Arbitrary<ActionChain<World>> chains() {
        // Every chain starts with c0 connected; later connections are fewer, so are actions on them.
        Arbitrary<Integer> conn = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, Arbitraries.just(0)),
                net.jqwik.api.Tuple.of(3, Arbitraries.just(1)),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(2)));
        Arbitrary<Integer> size = Arbitraries.oneOf(
                Arbitraries.integers().between(0, 4096),
                Arbitraries.integers().between(0, 1 << 20));
        Arbitrary<Integer> loop = Arbitraries.integers().between(0, 1);
        return ActionChain.<World>startWith(this::newWorld)
                .withAction(3, step(Arbitraries.of(false, true).map(Connect::new)))
                .withAction(6, step(Combinators.combine(conn, size).as(Send::new)))
                .withAction(2, step(conn.map(Pause::new)))
                .withAction(2, step(conn.map(Resume::new)))
                .withAction(1, step(conn.map(ServerShutdownOutput::new)))
                .withAction(1, step(conn.map(ServerClose::new)))
                .withAction(1, step(conn.map(ServerAbort::new)))
                .withAction(1, step(Combinators.combine(conn, Arbitraries.oneOf(Arbitraries.integers().between(0, 4096),
                                Arbitraries.integers().between(1 << 20, 4 << 20)),
                        Arbitraries.of(false, true)).as(ServerCloseUnread::new)))
                .withAction(2, step(Combinators.combine(conn, size, Arbitraries.of(true, false)).as(ServerRespond::new)))
                .withAction(2, step(conn.map(PeerPause::new)))
                .withAction(1, step(conn.map(PeerResume::new)))
                .withAction(1, step(conn.map(PeerHalfClose::new)))
                .withAction(1, step(conn.map(PeerReset::new)))
                .withAction(2, step(Combinators.combine(loop, Arbitraries.integers().between(0, 20),
                        Arbitraries.of(false, true)).as(Timer::new)))
                .withAction(2, step(Combinators.combine(loop, Arbitraries.integers().between(1, 3),
                        Arbitraries.integers().between(1, 200)).as(Execute::new)))
                .withAction(1, step(Combinators.combine(conn, Arbitraries.integers().between(0, 64 * 1024),
                        Arbitraries.of(false, true), Arbitraries.integers().between(1, 300), loop,
                        Arbitraries.integers().between(0, 3)).as(Shutdown::new)))
                .withMaxTransformations(14);
    }

    private World newWorld() {
        World w = new World(settings);
        worlds.add(w);
        return w;
    }

    private static Action.Independent<World> step(Arbitrary<? extends Op> ops) {
        return () -> ops.map(op -> Transformer.mutate(op.toString(), w -> {
            w.history.add(op.toString());
            try {
                op.apply(w);
            } catch (Exception e) {
                throw new AssertionError(op + " failed after " + w.history, e);
            }
            w.settle(op);
        }));
    }

    /** The byte at {@code offset} of every stream: the peer sends it, the echo returns it. */
    static byte pattern(long offset) {
        return (byte) ((offset * 0x9E3779B1L) >>> 24 ^ offset >>> 16);
    }

    // ---- actions

    interface Op {
        void apply(World w) throws Exception;
    }

    /** A peer connects to the listener, or ({@code outbound}) the reactor connects to a peer's server socket. */
    record Connect(boolean outbound) implements Op {
        public void apply(World w) throws Exception {
            if (w.shutdown) {
                if (outbound) w.connectRefused();
                return;
            }
            if (w.conns.size() >= MAX_CONNECTIONS) return;
            if (outbound) {
                w.connectOut();
            } else {
                w.connect();
            }
        }

        @Override
        public String toString() {
            return outbound ? "reactor.connect" : "connect";
        }
    }

    record Send(int c, int bytes) implements Op {
        public void apply(World w) {
            Conn k = w.conn(c);
            if (k == null || k.peerOutShut || k.peerReset) return;
            k.sent += bytes;
            k.peer.send(bytes);
        }

        @Override
        public String toString() {
            return "send(c" + c + ", " + bytes + " B)";
        }
    }

    record Pause(int c) implements Op {
        public void apply(World w) throws Exception {
            Conn k = w.conn(c);
            if (k == null || !k.serverOpen() || k.paused || !known(k)) return;
            k.pausedAt = k.expectedRead();
            k.paused = true;
            k.onLoop(() -> {
                k.server.userPaused = true;
                k.server.conn.pauseReading();
            });
        }

        @Override
        public String toString() {
            return "pause(c" + c + ")";
        }
    }

    record Resume(int c) implements Op {
        public void apply(World w) throws Exception {
            Conn k = w.conn(c);
            if (k == null || !k.serverOpen() || !k.paused) return;
            k.paused = false;
            k.onLoop(() -> {
                k.server.userPaused = false;
                if (k.server.conn.isWritable()) k.server.conn.resumeReading();
            });
        }

        @Override
        public String toString() {
            return "resume(c" + c + ")";
        }
    }

    record ServerShutdownOutput(int c) implements Op {
        public void apply(World w) throws Exception {
            Conn k = w.conn(c);
            if (k == null || !k.serverOpen() || k.serverOutShut || !known(k)) return;
            k.freezeEcho();
            k.serverOutShut = true;
            k.onLoop(() -> {
                k.server.outputShut = true;
                k.server.conn.shutdownOutput();
            });
        }

        @Override
        public String toString() {
            return "serverShutdownOutput(c" + c + ")";
        }
    }

    record ServerClose(int c) implements Op {
        public void apply(World w) throws Exception {
            Conn k = w.conn(c);
            if (k == null || !k.serverOpen() || !known(k)) return;
            k.serverCloseRequested();
            k.onLoop(() -> k.server.conn.close());
        }

        @Override
        public String toString() {
            return "serverClose(c" + c + ")";
        }
    }

    /**
     * The server writes a response of its own (continuing the byte pattern of its output), then
     * closes or shuts down its output: both must wait until the whole response is sent.
     */
    record ServerRespond(int c, int bytes, boolean close) implements Op {
        public void apply(World w) throws Exception {
            Conn k = w.conn(c);
            if (k == null || !k.serverOpen() || k.serverOutShut || !known(k)) return;
            k.extra += bytes;
            if (close) {
                k.serverCloseRequested();
            } else {
                k.freezeEcho();
                k.serverOutShut = true;
            }
            k.onLoop(() -> {
                Server s = k.server;
                byte[] response = new byte[bytes];
                for (int i = 0; i < bytes; i++) response[i] = pattern(s.written + i);
                s.written += bytes;
                s.conn.write(response);
                if (close) {
                    s.conn.close();
                } else {
                    s.outputShut = true;
                    s.conn.shutdownOutput();
                }
            });
        }

        @Override
        public String toString() {
            return "serverRespond(c" + c + ", " + bytes + " B, then " + (close ? "close" : "shutdownOutput") + ")";
        }
    }

    /**
     * Whether the server side of {@code k} is in a state the model knows exactly: not while the
     * peer does not read, because then how much the server read and echoed before backpressure
     * stopped it is the kernel's business. Server actions that freeze or hold those counts
     * (pause, shutdownOutput, respond, close, abort) wait for a reading peer; a close while the
     * peer does not read, whose flush has a deadline (#8 item 18), is {@link ServerCloseUnread},
     * which takes the server's counts on the loop instead.
     */
    static boolean known(Conn k) {
        return !k.peerPaused;
    }

    /**
     * The server writes a response of {@code bytes} and closes while its peer does not read
     * (#8 item 18; the peer stops reading first if it still does): the peer resumes reading at
     * once ({@code !late}) or only after the close's flush deadline. What the server read and
     * wrote is taken on the loop when it closes. If nothing is queued then, the close is
     * orderly; otherwise it either flushes in time (the peer gets everything, then EOF) or meets
     * its deadline: onClose gets a TimeoutException and the peer a reset after part of the data.
     * A late peer leaves only the deadline.
     */
    record ServerCloseUnread(int c, int bytes, boolean late) implements Op {
        public void apply(World w) throws Exception {
            Conn k = w.conn(c);
            if (k == null || k.peerReset || k.aborted || k.closeOutcomes != null) return;
            if (k.expectedServerEnd().startsWith("closed")) return;
            if (!k.peerPaused) new PeerPause(c).apply(w);
            // Every byte the peer sent is in its kernel, so what the server read is final once it closes.
            if (!k.peer.awaitWritten(k.sent, Duration.ofSeconds(1))) return;
            long[] atClose = new long[3];
            k.onLoop(() -> {
                Server s = k.server;
                atClose[0] = s.read.get();
                if (!s.outputShut) {
                    byte[] response = new byte[bytes];
                    for (int i = 0; i < bytes; i++) response[i] = pattern(s.written + i);
                    s.written += bytes;
                    s.conn.write(response);
                }
                atClose[1] = s.written;
                s.conn.close();
            });
            // What the close could not flush: a small write is held until the task returns and
            // then sent (#10: one sendmsg per callback), so ask in the next task, once the
            // close's first flush has run; the paused peer frees no room in between.
            k.onLoop(() -> atClose[2] = k.server.conn.queuedBytes());
            k.readFrozen = atClose[0];
            k.echoFrozen = k.serverOutShut && k.echoFrozen >= 0 ? k.echoFrozen : atClose[1];
            k.closeRequested = true;
            k.closeOutcomes = new java.util.LinkedHashMap<>();
            if (atClose[2] == 0 || !late) k.closeOutcomes.put("closed(null)", "EOF");
            if (atClose[2] > 0) k.closeOutcomes.put("closed(TimeoutException)", "RESET");
            if (late) sleep(CLOSE_FLUSH_TIMEOUT.toMillis() + 200);
            new PeerResume(c).apply(w);
        }

        @Override
        public String toString() {
            return "serverRespondUnread(c" + c + ", " + bytes + " B, then close; peer resumes "
                    + (late ? "after the deadline" : "at once") + ")";
        }
    }

    record ServerAbort(int c) implements Op {
        public void apply(World w) throws Exception {
            Conn k = w.conn(c);
            if (k == null || !k.serverOpen() || !known(k)) return;
            // The reset is reported once, to whichever call meets it first: if the peer's writer
            // is still sending, its write gets ECONNRESET and the reader then sees EOF. Abort
            // only once the peer has handed every byte to its kernel (not while a paused server
            // keeps it blocked).
            if (!k.peer.awaitWritten(k.sent, Duration.ofSeconds(1))) return;
            k.freezeEcho();
            k.freezeRead();
            k.peerEndAfterAbort = k.serverOutShut ? "EOF" : "RESET";   // a FIN already sent stays seen
            k.aborted = true;
            k.onLoop(() -> k.server.conn.abort());
        }

        @Override
        public String toString() {
            return "serverAbort(c" + c + ")";
        }
    }

    /**
     * The peer stops reading: the echo backs up, the server's queue passes its watermark and
     * the handler stops reading too. How far each buffer fills is the kernel's business, so while
     * a peer is paused its server side is not compared ("?"); the peer's own count is, and
     * everything is again on resume.
     */
    record PeerPause(int c) implements Op {
        public void apply(World w) {
            Conn k = w.conn(c);
            if (k == null || k.peerReset || k.peerPaused) return;
            k.peerPausedReceived = k.expectedEcho();
            k.peerPausedEnd = k.expectedPeerEnd();
            k.peerPaused = true;
            k.peer.pauseReading();
        }

        @Override
        public String toString() {
            return "peerPause(c" + c + ")";
        }
    }

    record PeerResume(int c) implements Op {
        public void apply(World w) {
            Conn k = w.conn(c);
            if (k == null || !k.peerPaused) return;
            k.peerPaused = false;
            k.peer.resumeReading();
        }

        @Override
        public String toString() {
            return "peerResume(c" + c + ")";
        }
    }

    record PeerHalfClose(int c) implements Op {
        public void apply(World w) {
            Conn k = w.conn(c);
            if (k == null || k.peerOutShut || k.peerReset || !known(k)) return;
            k.peerOutShut = true;
            k.peer.shutdownOutput();
        }

        @Override
        public String toString() {
            return "peerHalfClose(c" + c + ")";
        }
    }

    record PeerReset(int c) implements Op {
        public void apply(World w) {
            Conn k = w.conn(c);
            if (k == null || k.peerReset) return;
            if (k.peerPaused) {   // let the peer read what it is owed first, so its end is known
                new PeerResume(c).apply(w);
                w.settle(this);
            }
            k.serverEndBeforeReset = k.expectedServerEnd();
            k.peerEndBeforeReset = k.expectedPeerEnd();   // an end already read stays read
            k.peerReset = true;
            k.peer.reset();
        }

        @Override
        public String toString() {
            return "peerReset(c" + c + ")";
        }
    }

    record Timer(int loop, int delayMillis, boolean cancel) implements Op {
        public void apply(World w) {
            if (w.shutdown) return;
            EventLoop l = w.reactor.loops().get(loop);
            TimerRecord t = new TimerRecord(l, System.nanoTime() + delayMillis * 1_000_000L);
            Timeout timeout = l.schedule(Duration.ofMillis(delayMillis), t::ran);
            t.cancelled = cancel && timeout.cancel();
            w.timers.add(t);
        }

        @Override
        public String toString() {
            return "timer(loop" + loop + ", " + delayMillis + " ms" + (cancel ? ", then cancel" : "") + ")";
        }
    }

    record Execute(int loop, int threads, int tasks) implements Op {
        public void apply(World w) throws Exception {
            // After a shutdown the loop may have terminated: tasks are then refused, never run.
            for (Thread t : w.submit(w.reactor.loops().get(loop), threads, tasks, !w.shutdown)) t.join();
        }

        @Override
        public String toString() {
            return "execute(loop" + loop + ", " + threads + " threads x " + tasks + " tasks)";
        }
    }

    /**
     * A graceful shutdown with work in flight: a reply of {@code bytes} to connection {@code c},
     * due after {@code delayMillis} from a timer on its loop or ({@code !timer}) from a worker
     * thread handing it to the loop, and {@code threads} threads submitting tasks to loop
     * {@code loop} while the shutdown begins. Within the grace the reply must be written, flushed
     * and followed by EOF (the handler's {@code onShutdown} closes once it is written), and every
     * task accepted must run once, in order; one refused never runs.
     */
    record Shutdown(int c, int bytes, boolean timer, int delayMillis, int loop, int threads) implements Op {
        Shutdown() {
            this(-1, 0, false, 0, 0, 0);
        }

        public void apply(World w) throws Exception {
            // Shut down only when every peer reads: with a paused one the close's outcome (flushed
            // or reset at the flush deadline) is modelled by ServerCloseUnread, not here.
            if (w.shutdown || w.conns.stream().anyMatch(k -> k.peerPaused)) return;
            Conn k = c < 0 ? null : w.conn(c);
            if (k != null && k.serverOpen() && !k.serverOutShut && known(k)) {
                Server s = k.server;
                EventLoop l = s.conn.loop();
                TimerRecord t = new TimerRecord(l, System.nanoTime() + delayMillis * 1_000_000L);
                w.timers.add(t);
                k.extra += bytes;
                k.onLoop(() -> {
                    s.pendingReplies++;
                    if (timer) l.schedule(Duration.ofMillis(delayMillis), () -> s.reply(bytes, t));
                });
                if (!timer) {
                    Thread.ofVirtual().start(() -> {
                        sleep(delayMillis);
                        l.execute(() -> s.reply(bytes, t));   // refused: the timer record never runs
                    });
                }
            }
            Thread[] submitters = threads == 0 ? new Thread[0]
                    : w.submit(w.reactor.loops().get(loop), threads, 1 + delayMillis % 50, false);
            w.shutdown = true;
            for (Conn o : w.conns) if (o.serverOpen()) o.serverCloseRequested();
            w.reactor.shutdown(Duration.ofSeconds(5));
            for (Thread t : submitters) t.join();
        }

        @Override
        public String toString() {
            return "shutdown" + (c < 0 ? "" : "(reply to c" + c + ", " + bytes + " B after " + delayMillis + " ms from "
                    + (timer ? "a timer" : "a worker") + "; " + threads + " threads submitting to loop" + loop + ")");
        }
    }

    // ---- the world: a reactor, its echo server, the peers, and the model of each connection

    static final class World {
        final Reactor reactor;
        final Listener listener;
        final ServerSocket peerListener;
        final LinkedBlockingQueue<Server> accepted = new LinkedBlockingQueue<>();
        final List<Conn> conns = new ArrayList<>();
        final List<TimerRecord> timers = new ArrayList<>();
        final List<TaskRecord> tasks = new ArrayList<>();
        final List<String> history = new ArrayList<>();
        boolean shutdown;

        final Settings settings;

        World(Settings settings) {
            this.settings = settings;
            try {
                reactor = settings.apply(Reactor.builder()).loops(2).threadName("model-loop").closeGrace(Duration.ofSeconds(2))
                        .closeFlushTimeout(CLOSE_FLUSH_TIMEOUT)
                        .linger(Duration.ofMillis(LINGER_MILLIS)).build();
                listener = reactor.listen(new InetSocketAddress("127.0.0.1", 0), () -> new Server(accepted, settings.smallSocketBuffers()));
                peerListener = new ServerSocket();
                // Set before listening, so accepted sockets advertise the small window from the
                // start: shrinking SO_RCVBUF after a larger window was offered makes the kernel
                // prune data it already accepted and rely on retransmission.
                if (settings.smallSocketBuffers()) peerListener.setReceiveBufferSize(SMALL_BUFFER);
                peerListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
                peerListener.setSoTimeout((int) SETTLE.toMillis());
                connect();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }

        /**
         * Starts {@code threads} threads each executing {@code tasks} tasks on {@code l}; if
         * {@code mustAccept} (no shutdown under way) every task must be accepted, otherwise a
         * thread stops at the first refusal.
         */
        Thread[] submit(EventLoop l, int threads, int tasks, boolean mustAccept) {
            TaskRecord r = new TaskRecord(l, threads, tasks, mustAccept);
            this.tasks.add(r);
            Thread[] submitters = new Thread[threads];
            for (int i = 0; i < threads; i++) {
                int thread = i;
                submitters[i] = Thread.ofPlatform().start(() -> {
                    for (int k = 0; k < tasks; k++) {
                        int seq = k;
                        try {
                            l.execute(() -> r.ran(thread, seq));
                        } catch (java.util.concurrent.RejectedExecutionException e) {
                            r.refused(thread, seq);
                            return;
                        }
                    }
                    r.accepted(thread, tasks);
                });
            }
            return submitters;
        }

        /** The {@code i}-th connection, or null. */
        Conn conn(int i) {
            return i < conns.size() ? conns.get(i) : null;
        }

        void connect() throws Exception {
            Socket s = new Socket();
            if (settings.smallSocketBuffers()) s.setReceiveBufferSize(SMALL_BUFFER);
            s.connect(new InetSocketAddress("127.0.0.1", listener.port()), 5000);
            Server server = accepted.poll(SETTLE.toMillis(), TimeUnit.MILLISECONDS);
            if (server == null) throw new AssertionError("the server did not open connection " + conns.size());
            conns.add(new Conn(conns.size(), new Peer(s), server));
        }

        /** The reactor connects to the peer's server socket; the echo serves that connection too. */
        void connectOut() throws Exception {
            Server server = new Server(accepted, settings.smallSocketBuffers());
            CompletableFuture<Connection> opened = reactor.connect(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), peerListener.getLocalPort()), server);
            Socket s = peerListener.accept();
            opened.get(SETTLE.toMillis(), TimeUnit.MILLISECONDS);
            if (accepted.poll(SETTLE.toMillis(), TimeUnit.MILLISECONDS) != server) {
                throw new AssertionError("onOpen did not run for the reactor's connection " + conns.size());
            }
            conns.add(new Conn(conns.size(), new Peer(s), server));
        }

        /** After a shutdown the reactor refuses new connections: its connect fails, no handler opens. */
        void connectRefused() throws Exception {
            Server server = new Server(accepted, settings.smallSocketBuffers());
            CompletableFuture<Connection> opened;
            try {
                opened = reactor.connect(
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), peerListener.getLocalPort()), server);
            } catch (java.util.concurrent.RejectedExecutionException refused) {
                return;
            }
            try {
                opened.get(SETTLE.toMillis(), TimeUnit.MILLISECONDS);
                throw new AssertionError("reactor.connect succeeded after shutdown");
            } catch (java.util.concurrent.ExecutionException e) {
                assertTrue(e.getCause() instanceof java.util.concurrent.RejectedExecutionException,
                        () -> "reactor.connect after shutdown failed with " + e.getCause());
            }
            assertEquals(null, accepted.poll(), "onOpen ran after shutdown");
        }

        /** Waits until what is observed is what the model predicts; fails with both if it never is. */
        void settle(Op op) {
            long deadline = System.nanoTime() + SETTLE.toNanos();
            String expected = expected(), actual = actual();
            while (!expected.equals(actual) && System.nanoTime() - deadline < 0) {
                sleep(1);
                actual = actual();
            }
            assertEquals(expected, actual, () -> "after " + history);
        }

        String expected() {
            StringBuilder b = new StringBuilder();
            for (Conn k : conns) b.append(k.expected()).append('\n');
            b.append("timers: ").append(timers.size()).append(" ok\n");
            b.append("tasks: ").append(tasks.size()).append(" ok\n");
            return b.toString();
        }

        String actual() {
            StringBuilder b = new StringBuilder();
            for (Conn k : conns) b.append(k.actual()).append('\n');
            long timersOk = timers.stream().filter(TimerRecord::ok).count();
            b.append("timers: ").append(timersOk).append(" ok");
            for (TimerRecord t : timers) if (!t.ok()) b.append(", ").append(t);
            b.append('\n');
            long tasksOk = tasks.stream().filter(TaskRecord::ok).count();
            b.append("tasks: ").append(tasksOk).append(" ok");
            for (TaskRecord t : tasks) if (!t.ok()) b.append(", ").append(t);
            return b.append('\n').toString();
        }

        /**
         * The end of every chain: each peer still sending stops (resuming paused servers first),
         * the model says every byte sent is echoed and every connection closes in order; then
         * the reactor shuts down and its loops end with no handler failure.
         */
        void finish() throws Exception {
            for (Conn k : conns) {
                if (k.peerPaused) {
                    history.add("peerResume(c" + k.id + ")");
                    new PeerResume(k.id).apply(this);
                }
            }
            for (Conn k : conns) {
                if (k.paused && k.serverOpen()) {
                    history.add("resume(c" + k.id + ")");
                    new Resume(k.id).apply(this);
                }
            }
            for (Conn k : conns) {
                if (!k.peerOutShut && !k.peerReset) {
                    history.add("peerHalfClose(c" + k.id + ")");
                    new PeerHalfClose(k.id).apply(this);
                }
            }
            settle(null);
            for (Conn k : conns) {
                assertTrue(k.expectedServerEnd().startsWith("closed"), () -> "c" + k.id + " still open at the end");
            }
            if (!shutdown) {
                history.add("shutdown");
                new Shutdown().apply(this);
            }
            assertTrue(reactor.awaitTermination(SETTLE), "the loops did not end after " + history);
            for (LoopCounters c : reactor.counters()) {
                assertEquals(0, c.handlerFailures(), () -> "a handler failed: " + c + " after " + history);
            }
            // Cancelled timers must still not have run, now that nothing is left to run them.
            settle(null);
        }

        void closeQuietly() {
            for (Conn k : conns) k.peer.close();
            listener.close();
            try {
                peerListener.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            reactor.shutdown(Duration.ZERO);
            try {
                reactor.awaitTermination(SETTLE);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** One connection: the peer socket, the server's handler, and the model's expectations. */
    static final class Conn {
        final int id;
        final Peer peer;
        final Server server;
        // the model
        long sent;
        long extra;   // bytes the server wrote of its own accord
        boolean paused;
        long pausedAt;
        long readFrozen = -1, echoFrozen = -1;
        boolean serverOutShut, closeRequested, aborted, peerOutShut, peerReset, peerPaused;
        long peerPausedReceived;
        String peerPausedEnd;
        String serverEndBeforeReset, peerEndBeforeReset, peerEndAfterAbort;
        /** After a close while the peer did not read: the server's possible ends, each with the peer's. */
        java.util.Map<String, String> closeOutcomes;

        /** The server end among {@link #closeOutcomes} that happened, or the first if none yet. */
        String closeOutcome() {
            String seen = server.end();
            return closeOutcomes.containsKey(seen) ? seen : closeOutcomes.keySet().iterator().next();
        }

        /** Whether the close met its flush deadline: the peer gets part of the data, then a reset. */
        boolean flushTimedOut() {
            return closeOutcomes != null && closeOutcome().equals("closed(TimeoutException)");
        }

        Conn(int id, Peer peer, Server server) {
            this.id = id;
            this.peer = peer;
            this.server = server;
        }

        /** What the server's handler has been given: frozen by close or abort, held by a pause. */
        long expectedRead() {
            return readFrozen >= 0 ? readFrozen : paused ? pausedAt : sent;
        }

        /** What the peer gets back: what the server read and wrote itself, until its output stopped. */
        long expectedEcho() {
            return echoFrozen >= 0 ? echoFrozen : expectedRead() + extra;
        }

        void freezeEcho() {
            if (echoFrozen < 0) echoFrozen = expectedEcho();
        }

        void freezeRead() {
            if (readFrozen < 0) readFrozen = expectedRead();
        }

        void serverCloseRequested() {
            freezeEcho();
            freezeRead();
            closeRequested = true;
        }

        /** Whether a FIN from the server reaches the peer. */
        boolean finSent() {
            return serverOutShut || closeRequested || (peerOutShut && !paused);
        }

        String expectedServerEnd() {
            if (peerReset) return serverEndBeforeReset.equals("open") ? "closed(IOException)" : serverEndBeforeReset;
            if (closeOutcomes != null) return closeOutcome();
            if (aborted || closeRequested) return "closed(null)";
            if (peerOutShut && !paused) return "closed(null)";   // end of input: the echo closes
            return "open";
        }

        boolean serverOpen() {
            return !peerReset && expectedServerEnd().equals("open");
        }

        String expectedPeerEnd() {
            if (peerReset) return peerEndBeforeReset.equals("NONE") ? "LOCAL" : peerEndBeforeReset;
            if (aborted) return peerEndAfterAbort;
            if (closeOutcomes != null) return closeOutcomes.get(closeOutcome());
            return finSent() ? "EOF" : "NONE";
        }

        String expected() {
            String read = peerReset || peerPaused ? "?" : Long.toString(expectedRead());
            String echo = peerReset || flushTimedOut() ? "?" : Long.toString(peerPaused ? peerPausedReceived : expectedEcho());
            String serverEnd = peerPaused ? "?" : expectedServerEnd();
            return render(echo, peerPaused ? peerPausedEnd : expectedPeerEnd(), read, serverEnd, -1, -1);
        }

        String actual() {
            String read = peerReset || peerPaused ? "?" : Long.toString(server.read.get());
            String echo = peerReset || flushTimedOut() ? "?" : Long.toString(peer.received.get());
            String serverEnd = peerPaused ? "?" : server.end();
            return render(echo, peer.end, read, serverEnd, peer.badOffset, server.badOffset);
        }

        String render(String received, String end, String read, String serverEnd, long peerBad, long serverBad) {
            return "c" + id + ": peer received " + received + " B then " + end + (peerBad >= 0 ? " CORRUPT at " + peerBad : "")
                    + "; server read " + read + " B, " + serverEnd + (serverBad >= 0 ? " CORRUPT at " + serverBad : "");
        }

        /** Runs {@code task} on the connection's loop and waits for it. */
        void onLoop(Runnable task) throws Exception {
            server.conn.loop().submit(() -> {
                task.run();
                return null;
            }).get(SETTLE.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** The echo with backpressure, plus what the test needs to see of it. */
    static final class Server implements Handler {
        private final LinkedBlockingQueue<Server> accepted;
        private final boolean smallBuffers;
        volatile Connection conn;
        boolean userPaused, outputShut;   // loop thread
        long written;                     // loop thread: the offset of the next byte of output
        int pendingReplies;               // loop thread: replies due from a timer or a worker
        boolean closeAfterReply;          // loop thread: onShutdown left the close to the last reply
        final AtomicLong read = new AtomicLong();
        volatile long badOffset = -1;
        final CompletableFuture<String> closed = new CompletableFuture<>();

        Server(LinkedBlockingQueue<Server> accepted, boolean smallBuffers) {
            this.accepted = accepted;
            this.smallBuffers = smallBuffers;
        }

        @Override
        public void onOpen(Connection c) {
            conn = c;
            if (smallBuffers) {
                try {
                    c.socket().setOption(Option.SO_SNDBUF, SMALL_BUFFER);
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            }
            accepted.add(this);
        }

        @Override
        public void onRead(Connection c, MemorySegment data) {
            long offset = read.get();
            long n = data.byteSize();
            if (badOffset < 0) {
                for (long i = 0; i < n; i++) {
                    if (data.get(ValueLayout.JAVA_BYTE, i) != pattern(offset + i)) {
                        badOffset = offset + i;
                        break;
                    }
                }
            }
            read.addAndGet(n);
            if (outputShut) return;
            written += n;
            if (!c.write(data)) c.pauseReading();
        }

        @Override
        public void onWritabilityChanged(Connection c, boolean writable) {
            if (writable && !userPaused) c.resumeReading();
        }

        /** Closes now, or once the replies in flight are written. */
        @Override
        public void onShutdown(Connection c) {
            if (pendingReplies == 0) c.close();
            else closeAfterReply = true;
        }

        /** A reply in flight, on the loop: continues the output's byte pattern, then closes if shutting down. */
        void reply(int bytes, TimerRecord t) {
            t.ran();
            pendingReplies--;
            if (!conn.isOpen()) return;
            byte[] response = new byte[bytes];
            for (int i = 0; i < bytes; i++) response[i] = pattern(written + i);
            written += bytes;
            conn.write(response);
            if (pendingReplies == 0 && closeAfterReply) conn.close();
        }

        @Override
        public void onClose(Connection c, Throwable cause) {
            closed.complete(cause == null ? "closed(null)"
                    : cause instanceof IOException ? "closed(IOException)"
                    : cause instanceof java.util.concurrent.TimeoutException ? "closed(TimeoutException)" : "closed(" + cause + ")");
        }

        String end() {
            return closed.getNow("open");
        }
    }

    /** A blocking JDK socket with a reader and a writer thread, so neither side's progress waits on the test. */
    static final class Peer {
        private static final long SHUT = -1;
        final Socket socket;
        final AtomicLong received = new AtomicLong();
        final AtomicLong written = new AtomicLong();
        volatile String end = "NONE";
        volatile long badOffset = -1;
        volatile boolean closedLocally;
        private final LinkedBlockingQueue<Long> commands = new LinkedBlockingQueue<>();
        private final Thread reader, writer;
        private final Object gate = new Object();
        private boolean paused;   // guarded by gate

        Peer(Socket socket) {
            this.socket = socket;
            reader = Thread.ofVirtual().start(this::read);
            writer = Thread.ofVirtual().start(this::write);
        }

        void send(long bytes) {
            commands.add(bytes);
        }

        /** Waits, bounded, until {@code total} bytes are written to the socket; false if not. */
        boolean awaitWritten(long total, Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (written.get() < total) {
                if (System.nanoTime() - deadline >= 0) return false;
                sleep(1);
            }
            return true;
        }

        void shutdownOutput() {
            commands.add(SHUT);
        }

        /** An abortive close: SO_LINGER 0 sends RST. */
        void reset() {
            closedLocally = true;
            try {
                socket.setSoLinger(true, 0);
                socket.close();
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }

        /** Stops taking what arrives: a read already under way holds its bytes until resumed. */
        void pauseReading() {
            synchronized (gate) {
                paused = true;
            }
        }

        void resumeReading() {
            synchronized (gate) {
                paused = false;
                gate.notifyAll();
            }
        }

        private void awaitResumed() {
            synchronized (gate) {
                while (paused) {
                    try {
                        gate.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }

        void close() {
            closedLocally = true;
            resumeReading();
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            writer.interrupt();
        }

        private void read() {
            byte[] buf = new byte[64 * 1024];
            try {
                InputStream in = socket.getInputStream();
                for (;;) {
                    int n = in.read(buf);
                    awaitResumed();
                    if (n < 0) {
                        end = "EOF";
                        return;
                    }
                    long offset = received.get();
                    if (badOffset < 0) {
                        for (int i = 0; i < n; i++) {
                            if (buf[i] != pattern(offset + i)) {
                                badOffset = offset + i;
                                break;
                            }
                        }
                    }
                    received.addAndGet(n);
                }
            } catch (IOException e) {
                awaitResumed();
                end = closedLocally ? "LOCAL" : e.getMessage() != null && e.getMessage().contains("reset")
                        ? "RESET" : "ERROR " + e;
            }
        }

        private void write() {
            byte[] chunk = new byte[64 * 1024];
            long offset = 0;
            boolean failed = false;
            try {
                OutputStream out = socket.getOutputStream();
                for (;;) {
                    long command = commands.take();
                    if (failed) continue;
                    try {
                        if (command == SHUT) {
                            socket.shutdownOutput();
                            continue;
                        }
                        for (long left = command; left > 0; ) {
                            int n = (int) Math.min(chunk.length, left);
                            for (int i = 0; i < n; i++) chunk[i] = pattern(offset + i);
                            out.write(chunk, 0, n);
                            written.addAndGet(n);
                            offset += n;
                            left -= n;
                        }
                    } catch (IOException e) {
                        failed = true;   // the server closed or reset: the model expects nothing more
                    }
                }
            } catch (InterruptedException | IOException e) {
                // closed
            }
        }
    }

    /** A timer: must run once on its loop, not before its deadline; never if cancelled. */
    static final class TimerRecord {
        final EventLoop loop;
        final long deadline;
        volatile boolean cancelled;
        final AtomicInteger runs = new AtomicInteger();
        volatile boolean early, offLoop;

        TimerRecord(EventLoop loop, long deadline) {
            this.loop = loop;
            this.deadline = deadline;
        }

        void ran() {
            if (System.nanoTime() - deadline < 0) early = true;
            if (!loop.inEventLoop()) offLoop = true;
            runs.incrementAndGet();
        }

        boolean ok() {
            return runs.get() == (cancelled ? 0 : 1) && !early && !offLoop;
        }

        @Override
        public String toString() {
            return "timer[" + (cancelled ? "cancelled, " : "") + "runs=" + runs + (early ? ", early" : "")
                    + (offLoop ? ", off its loop" : "") + "]";
        }
    }

    /** Tasks from several threads: each runs once, on the loop, in each thread's order. */
    static final class TaskRecord {
        final EventLoop loop;
        final int[] next;      // per submitting thread: the sequence number expected next
        final int[] accepted;  // per submitting thread: how many tasks execute accepted, -1 until known
        final int tasks;
        final boolean mustAccept;
        volatile String error;

        TaskRecord(EventLoop loop, int threads, int tasks, boolean mustAccept) {
            this.loop = loop;
            this.next = new int[threads];
            this.accepted = new int[threads];
            java.util.Arrays.fill(accepted, -1);
            this.tasks = tasks;
            this.mustAccept = mustAccept;
        }

        synchronized void accepted(int thread, int n) {
            accepted[thread] = n;
        }

        synchronized void refused(int thread, int seq) {
            if (mustAccept) error = "thread " + thread + ": task " + seq + " refused before shutdown";
            accepted[thread] = seq;
        }

        void ran(int thread, int seq) {
            if (!loop.inEventLoop()) error = "task ran off its loop";
            synchronized (this) {
                if (next[thread] != seq) error = "thread " + thread + ": task " + seq + " ran, expected " + next[thread];
                next[thread] = seq + 1;
            }
        }

        synchronized boolean ok() {
            if (error != null) return false;
            for (int i = 0; i < next.length; i++) if (accepted[i] < 0 || next[i] != accepted[i]) return false;
            return true;
        }

        @Override
        public synchronized String toString() {
            return "tasks[" + (error != null ? error : "ran " + java.util.Arrays.toString(next) + " of accepted "
                    + java.util.Arrays.toString(accepted) + " of " + tasks) + "]";
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
