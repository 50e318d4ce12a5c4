package io.ffmepoll.blocking;

import io.ffmepoll.epoll.Descriptor;
import io.ffmepoll.epoll.Errors;
import io.ffmepoll.epoll.Fds;
import io.ffmepoll.epoll.NativeIOException;
import io.ffmepoll.socket.AbstractName;
import io.ffmepoll.socket.Option;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Blocking streams and listeners on real loopback and Unix sockets, each test bounded in time. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BlockingStreamTest {

    static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);

    @BeforeAll
    static void startPollers() throws IOException {
        // The pollers' epoll fds live for the JVM: start them before any fd count is taken.
        try (BlockingListener l = BlockingListener.bind(LOOPBACK, 1)) {
            assertTrue(l.isOpen());
        }
    }

    /** A connected pair: [client, server]. */
    static BlockingStream[] pair(BlockingListener listener) throws IOException {
        BlockingStream client = BlockingStream.connect(listener.localAddress(), Duration.ofSeconds(5));
        listener.setAcceptTimeout(Duration.ofSeconds(5));
        return new BlockingStream[] {client, listener.accept()};
    }

    /** Waits (bounded) until {@code t} is parked. */
    static void awaitParked(Thread t) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (t.getState() != Thread.State.WAITING && t.getState() != Thread.State.TIMED_WAITING) {
            if (System.nanoTime() > end) fail(t + " never parked; state " + t.getState());
            if (!t.isAlive()) fail(t + " ended instead of parking");
            Thread.sleep(1);
        }
    }

    /** Runs {@code body} on a new virtual thread; the future completes with its result. */
    static <T> CompletableFuture<T> virtual(Io<T> body) {
        return started(body).result();
    }

    /** A virtual thread running a call, and the call's outcome. */
    record Started<T>(Thread thread, CompletableFuture<T> result) {
        /** Waits (bounded) until the call has parked. */
        Started<T> parked() throws InterruptedException {
            awaitParked(thread);
            return this;
        }
    }

    static <T> Started<T> started(Io<T> body) {
        CompletableFuture<T> f = new CompletableFuture<>();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                f.complete(body.run());
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        });
        return new Started<>(t, f);
    }

    interface Io<T> {
        T run() throws Exception;
    }

    static Throwable failure(CompletableFuture<?> f) throws Exception {
        try {
            f.get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            return e.getCause();
        }
        return fail("expected the call to fail, it returned " + f.getNow(null));
    }

    // ---- heap arrays: staged without allocating per call

    /**
     * The byte[] reads and writes (what InputStream and OutputStream use) copy through native
     * staging; they used to wrap the array in a heap segment and a slice of it on every call,
     * objects that escaped into the socket's staging code: 288 bytes of garbage per echo round
     * trip (two reads, two writes), however long the code ran. Now the array is copied directly;
     * all that may remain is the native slice per call, which the JIT removes when it inlines the
     * call (0 bytes alone, 160 after other tests have bent the shared profiles). Windows of round
     * trips are repeated (bounded) until one allocates less than wrapping the arrays costs.
     */
    @Test
    void heapArrayReadsAndWritesDoNotWrapTheArrayInSegmentsPerCall() throws Exception {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        try (BlockingListener l = BlockingListener.bind(LOOPBACK, 1)) {
            BlockingStream[] p = pair(l);
            try (BlockingStream c = p[0]; BlockingStream s = p[1]) {
                byte[] message = new byte[64];
                byte[] buffer = new byte[16 * 1024];
                int rounds = 2_000;
                long best = Long.MAX_VALUE;
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                for (int window = 0; window < 200 && System.nanoTime() < end; window++) {
                    long before = threads.getCurrentThreadAllocatedBytes();
                    for (int i = 0; i < rounds; i++) {
                        message[0] = (byte) i;
                        c.write(message, 0, message.length);
                        int n = s.read(buffer, 0, buffer.length);
                        assertEquals(message.length, n);
                        s.write(buffer, 0, n);
                        assertEquals(message.length, c.read(buffer, 0, message.length));
                        assertEquals((byte) i, buffer[0]);
                    }
                    best = Math.min(best, threads.getCurrentThreadAllocatedBytes() - before);
                    if (best < 200L * rounds) break;
                }
                assertTrue(best < 200L * rounds, "fewest bytes allocated in " + rounds + " echo round trips: " + best
                        + " (" + best / rounds + " per round trip)");
            }
        }
    }

    /** A byte[] write over several staging areas, parking on a full buffer between them, arrives whole and in order. */
    @Test
    void aHeapWriteLargerThanTheStagingAreaArrivesWhole() throws Exception {
        try (BlockingListener l = BlockingListener.bind(LOOPBACK, 1)) {
            BlockingStream[] p = pair(l);
            try (BlockingStream c = p[0]; BlockingStream s = p[1]) {
                byte[] data = new byte[5 * io.ffmepoll.internal.sys.IoScratch.STAGING_SIZE + 7];
                new SplittableRandom(5).nextBytes(data);
                CompletableFuture<Object> w = virtual(() -> {
                    c.outputStream().write(data);
                    c.shutdownOutput();
                    return null;
                });
                byte[] got = s.inputStream().readAllBytes();
                w.get(10, TimeUnit.SECONDS);
                assertArrayEquals(data, got);
            }
        }
    }

    // ---- many virtual threads, 0 epoll_ctl per message

    @Test
    void manyVirtualThreadsEchoWithOneEpollCtlPerSocketAndNonePerMessage() throws Exception {
        int clients = 200, rounds = 40;
        long ctlBefore = Poller.counters().socketRegistrations();
        try (BlockingListener listener = BlockingListener.bind(LOOPBACK, 1024)) {
            Thread acceptor = Thread.ofVirtual().start(() -> {
                try {
                    for (int i = 0; i < clients; i++) {
                        BlockingStream s = listener.accept();
                        Thread.ofVirtual().start(() -> {
                            try (s) {
                                s.inputStream().transferTo(s.outputStream());
                            } catch (IOException e) {
                                // the test's clients close normally; a failure shows on their side
                            }
                        });
                    }
                } catch (IOException e) {
                    // closed at the end of the test
                }
            });
            List<CompletableFuture<Integer>> done = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int seed = c;
                done.add(virtual(() -> {
                    SplittableRandom r = new SplittableRandom(seed);
                    try (BlockingStream s = BlockingStream.connect(listener.localAddress(), Duration.ofSeconds(10))) {
                        InputStream in = s.inputStream();
                        OutputStream out = s.outputStream();
                        for (int i = 0; i < rounds; i++) {
                            byte[] msg = new byte[1 + r.nextInt(3000)];
                            r.nextBytes(msg);
                            out.write(msg);
                            assertArrayEquals(msg, in.readNBytes(msg.length));
                        }
                        s.shutdownOutput();
                        assertEquals(-1, in.read());
                    }
                    return rounds;
                }));
            }
            for (CompletableFuture<Integer> f : done) assertEquals(rounds, f.get(25, TimeUnit.SECONDS));
            acceptor.join(5000);
        }
        // The listener, every client and every accepted socket: one ADD each, nothing per message.
        assertEquals(1 + 2L * clients, Poller.counters().socketRegistrations() - ctlBefore);
    }

    // ---- the ET + park race

    @Test
    void anEdgeBetweenEagainAndParkIsNotLost() throws Exception {
        try (BlockingListener listener = BlockingListener.bind(LOOPBACK, 8)) {
            BlockingStream[] p = pair(listener);
            try (BlockingStream client = p[0]; BlockingStream server = p[1]) {
                long eventsBefore = Poller.counters().events();
                // After the read meets EAGAIN and before it parks: data arrives and the poller
                // handles its edge. A reader that looked at readiness only now would park forever.
                Blocking.beforeParkHook = () -> {
                    Blocking.beforeParkHook = null;
                    try {
                        client.write(new byte[] {42}, 0, 1);
                        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                        while (Poller.counters().events() == eventsBefore && System.nanoTime() < end) Thread.onSpinWait();
                        Thread.sleep(20);   // and whatever the poller does after counting
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                };
                server.setReadTimeout(Duration.ofSeconds(3));
                byte[] b = new byte[8];
                assertEquals(1, server.read(b, 0, 8), "the read must see the byte, not time out");
                assertEquals(42, b[0]);
            } finally {
                Blocking.beforeParkHook = null;
            }
        }
    }

    // ---- timeouts

    @Test
    void readTimesOutAndTheStreamStaysUsable() throws Exception {
        try (BlockingListener listener = BlockingListener.bind(LOOPBACK, 8)) {
            BlockingStream[] p = pair(listener);
            try (BlockingStream client = p[0]; BlockingStream server = p[1]) {
                server.setReadTimeout(Duration.ofMillis(150));
                long t0 = System.nanoTime();
                SocketTimeoutException e = assertThrows(SocketTimeoutException.class, () -> server.read(new byte[4], 0, 4));
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                assertTrue(ms >= 150, "timed out after " + ms + " ms");
                assertEquals("read timed out", e.getMessage());
                client.write(new byte[] {1, 2, 3}, 0, 3);
                byte[] b = new byte[4];
                assertEquals(3, server.inputStream().readNBytes(b, 0, 3));
            }
        }
    }

    @Test
    void acceptTimesOutAndTheListenerStaysUsable() throws Exception {
        try (BlockingListener listener = BlockingListener.bind(LOOPBACK, 8)) {
            listener.setAcceptTimeout(Duration.ofMillis(100));
            long t0 = System.nanoTime();
            assertThrows(SocketTimeoutException.class, listener::accept);
            assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(100));
            BlockingStream[] p = pair(listener);
            p[0].close();
            p[1].close();
        }
    }

    // ---- close from another thread

    @Test
    void closeWakesABlockedVirtualReaderWithSocketException() throws Exception {
        closeWakesBlockedReader(true);
    }

    @Test
    void closeWakesABlockedPlatformReaderWithSocketException() throws Exception {
        closeWakesBlockedReader(false);
    }

    private static void closeWakesBlockedReader(boolean virtual) throws Exception {
        try (BlockingListener listener = BlockingListener.bind(LOOPBACK, 8)) {
            BlockingStream[] p = pair(listener);
            try (BlockingStream client = p[0]; BlockingStream server = p[1]) {
                AtomicReference<Throwable> thrown = new AtomicReference<>();
                Runnable read = () -> {
                    try {
                        server.read(new byte[16], 0, 16);
                    } catch (Throwable t) {
                        thrown.set(t);
                    }
                };
                Thread reader = virtual ? Thread.ofVirtual().start(read) : Thread.ofPlatform().start(read);
                awaitParked(reader);
                server.close();
                reader.join(5000);
                assertFalse(reader.isAlive(), "the reader is still blocked after close");
                assertInstanceOf(SocketException.class, thrown.get());
                assertEquals("BlockingStream closed", thrown.get().getMessage());
                assertFalse(server.socket().isOpen());
                // Calls after close fail the same way.
                assertThrows(SocketException.class, () -> server.read(new byte[1], 0, 1));
                assertThrows(SocketException.class, () -> server.write(new byte[1], 0, 1));
            }
        }
    }

    @Test
    void closeWakesAWriterBlockedOnAFullBuffer() throws Exception {
        try (BlockingListener listener = BlockingListener.bind(LOOPBACK, 8)) {
            BlockingStream[] p = pair(listener);
            try (BlockingStream client = p[0]; BlockingStream server = p[1]) {
                CompletableFuture<Object> w = started(() -> {
                    client.write(new byte[64 << 20], 0, 64 << 20);   // more than both buffers hold
                    return (Object) "wrote it all";
                }).parked().result();
                client.close();
                assertInstanceOf(SocketException.class, failure(w));
            }
        }
    }

    @Test
    void closeWakesABlockedAcceptor() throws Exception {
        BlockingListener listener = BlockingListener.bind(LOOPBACK, 8);
        CompletableFuture<BlockingStream> a = started(listener::accept).parked().result();
        listener.close();
        assertInstanceOf(SocketException.class, failure(a));
        assertFalse(listener.socket().isOpen());
    }

    // ---- EOF, reset, interrupt

    @Test
    void peerCloseWakesABlockedReaderWithEof() throws Exception {
        try (BlockingListener listener = BlockingListener.bind(LOOPBACK, 8)) {
            BlockingStream[] p = pair(listener);
            try (BlockingStream client = p[0]; BlockingStream server = p[1]) {
                CompletableFuture<Integer> r = started(() -> server.read(new byte[16], 0, 16)).parked().result();
                client.close();
                assertEquals(Descriptor.EOF, r.get(10, TimeUnit.SECONDS));
                assertEquals(-1, server.inputStream().read(), "EOF again on the next read");
            }
        }
    }

    @Test
    void peerResetWakesABlockedReaderWithEconnreset() throws Exception {
        try (BlockingListener listener = BlockingListener.bind(LOOPBACK, 8)) {
            BlockingStream[] p = pair(listener);
            try (BlockingStream client = p[0]; BlockingStream server = p[1]) {
                CompletableFuture<Integer> r = started(() -> server.read(new byte[16], 0, 16)).parked().result();
                client.socket().setOption(Option.SO_LINGER, 0);   // close sends RST
                client.close();
                Throwable t = failure(r);
                assertInstanceOf(NativeIOException.class, t);
                assertEquals(Errors.ECONNRESET, ((NativeIOException) t).errno());
            }
        }
    }

    @Test
    void interruptWakesABlockedReaderAndLeavesTheStreamOpen() throws Exception {
        try (BlockingListener listener = BlockingListener.bind(LOOPBACK, 8)) {
            BlockingStream[] p = pair(listener);
            try (BlockingStream client = p[0]; BlockingStream server = p[1]) {
                AtomicReference<Throwable> thrown = new AtomicReference<>();
                AtomicReference<Boolean> stillInterrupted = new AtomicReference<>();
                Thread reader = Thread.ofVirtual().start(() -> {
                    try {
                        server.read(new byte[16], 0, 16);
                    } catch (Throwable t) {
                        thrown.set(t);
                        stillInterrupted.set(Thread.currentThread().isInterrupted());
                    }
                });
                awaitParked(reader);
                reader.interrupt();
                reader.join(5000);
                assertInstanceOf(InterruptedIOException.class, thrown.get());
                assertTrue(stillInterrupted.get());
                client.write(new byte[] {7}, 0, 1);
                assertEquals(7, server.inputStream().read());
            }
        }
    }

    @Test
    void twoThreadsBlockedReadingAtOnceIsRefused() throws Exception {
        try (BlockingListener listener = BlockingListener.bind(LOOPBACK, 8)) {
            BlockingStream[] p = pair(listener);
            try (BlockingStream client = p[0]; BlockingStream server = p[1]) {
                Thread first = Thread.ofVirtual().start(() -> {
                    try {
                        server.read(new byte[1], 0, 1);
                    } catch (IOException ignored) {
                        // closed at the end
                    }
                });
                awaitParked(first);
                assertThrows(IllegalStateException.class, () -> server.read(new byte[1], 0, 1));
                client.write(new byte[] {1}, 0, 1);
                first.join(5000);
                assertFalse(first.isAlive());
            }
        }
    }

    // ---- awkward peers and big transfers

    @Test
    void aPeerWritingOneByteAtATimeIsReadWhole() throws Exception {
        try (BlockingListener listener = BlockingListener.bind(LOOPBACK, 8)) {
            BlockingStream[] p = pair(listener);
            try (BlockingStream client = p[0]; BlockingStream server = p[1]) {
                byte[] sent = new byte[3000];
                new SplittableRandom(7).nextBytes(sent);
                CompletableFuture<Object> w = virtual(() -> {
                    for (int i = 0; i < sent.length; i++) {
                        client.write(sent, i, 1);
                        if (i % 64 == 0) Thread.sleep(1);
                    }
                    client.shutdownOutput();
                    return null;
                });
                byte[] got = server.inputStream().readAllBytes();
                w.get(10, TimeUnit.SECONDS);
                assertArrayEquals(sent, got);
            }
        }
    }

    @Test
    void aShortReadWithTheFinQueuedBehindItIsFollowedByEof() throws Exception {
        // Data and FIN arrive together, one edge: the short read of the data must not be taken
        // for an empty socket, or the reader parks with EOF waiting.
        try (BlockingListener listener = BlockingListener.bind(LOOPBACK, 8)) {
            for (int i = 0; i < 20; i++) {
                BlockingStream[] p = pair(listener);
                try (BlockingStream client = p[0]; BlockingStream server = p[1]) {
                    client.write(new byte[] {1, 2, 3}, 0, 3);
                    client.shutdownOutput();
                    Thread.sleep(20);
                    server.setReadTimeout(Duration.ofSeconds(3));
                    assertEquals(3, server.read(new byte[64], 0, 64));
                    assertEquals(Descriptor.EOF, server.read(new byte[64], 0, 64));
                }
            }
        }
    }

    @Test
    void aShortReadStoppedAtAnUrgentMarkDoesNotStrandTheRestOfTheInput() throws Exception {
        // A TCP read stops short at an urgent mark with more data queued and no edge to come:
        // a reader that took the short read for an empty socket would park with input left.
        try (BlockingListener listener = BlockingListener.bind(LOOPBACK, 8);
             java.net.Socket client = new java.net.Socket("127.0.0.1", ((InetSocketAddress) listener.localAddress()).getPort())) {
            listener.setAcceptTimeout(Duration.ofSeconds(5));
            try (BlockingStream server = listener.accept()) {
                client.setTcpNoDelay(true);
                OutputStream out = client.getOutputStream();
                out.write("abc".getBytes());
                client.sendUrgentData('!');
                out.write("def".getBytes());
                out.flush();
                Thread.sleep(200);   // everything queued (and its edges handled) before the first read
                server.setReadTimeout(Duration.ofSeconds(3));
                StringBuilder got = new StringBuilder();
                byte[] buf = new byte[64];
                while (got.length() < 6) {
                    int n = server.read(buf, 0, buf.length);
                    assertTrue(n > 0, "read " + n);
                    got.append(new String(buf, 0, n));
                }
                assertEquals("abcdef", got.toString());
            }
        }
    }

    @Test
    void largeTransferWithWritesBlockingOnAFullBufferTcp() throws Exception {
        try (BlockingListener listener = BlockingListener.bind(LOOPBACK, 8)) {
            largeTransfer(pair(listener));
        }
    }

    @Test
    void largeTransferWithWritesBlockingOnAFullBufferUnix() throws Exception {
        SocketAddress name = AbstractName.of("ffm-epoll-blocking-" + ProcessHandle.current().pid() + "-"
                + ThreadLocalRandom.current().nextLong());
        try (BlockingListener listener = BlockingListener.bind(name, 8)) {
            largeTransfer(pair(listener));
        }
    }

    /** 48 MiB in one write from a native segment while the reader starts late and reads in odd sizes. */
    private static void largeTransfer(BlockingStream[] p) throws Exception {
        try (BlockingStream client = p[0]; BlockingStream server = p[1]; Arena arena = Arena.ofShared()) {
            int size = 48 << 20;
            MemorySegment data = arena.allocate(size);
            byte[] chunk = new byte[8192];
            new SplittableRandom(11).nextBytes(chunk);
            for (long at = 0; at < size; at += chunk.length) MemorySegment.copy(chunk, 0, data, java.lang.foreign.ValueLayout.JAVA_BYTE, at, chunk.length);
            CRC32 want = new CRC32();
            want.update(data.asByteBuffer());
            // The writer fills both socket buffers and parks before the reader starts.
            CompletableFuture<Object> w = started(() -> {
                client.write(data);
                client.shutdownOutput();
                return null;
            }).parked().result();
            CRC32 got = new CRC32();
            byte[] buf = new byte[70_001];
            long total = 0;
            for (int n; (n = server.read(buf, 0, buf.length)) > 0; ) {
                got.update(buf, 0, n);
                total += n;
            }
            w.get(10, TimeUnit.SECONDS);
            assertEquals(size, total);
            assertEquals(want.getValue(), got.getValue());
        }
    }

    // ---- connect

    @Test
    void connectToAClosedPortFailsWithEconnrefusedAndLeavesNothingOpen() throws Exception {
        int port;
        try (BlockingListener l = BlockingListener.bind(LOOPBACK, 1)) {
            port = ((InetSocketAddress) l.localAddress()).getPort();
        }
        Set<Integer> before = Fds.open();
        NativeIOException e = assertThrows(NativeIOException.class,
                () -> BlockingStream.connect(new InetSocketAddress("127.0.0.1", port), Duration.ofSeconds(5)));
        assertEquals(Errors.ECONNREFUSED, e.errno());
        assertEquals(before, Fds.open());
    }

    // ---- the poller

    @Test
    void thePollersEventArrayGrowsWhenAWaitFillsIt() throws Exception {
        Poller[] pollers = Poller.started();
        int before = Arrays.stream(pollers).mapToInt(Poller::eventCapacity).sum();
        int count = 700;   // more sockets ready at once than the initial 256 events
        try (BlockingListener listener = BlockingListener.bind(LOOPBACK, 1024)) {
            List<BlockingStream> all = new ArrayList<>();
            try {
                for (int i = 0; i < count; i++) {
                    BlockingStream[] p = pair(listener);
                    all.add(p[0]);
                    all.add(p[1]);
                }
                // Every client half-closes: each server side gets an edge, nearly all in one wait.
                for (int i = 0; i < all.size(); i += 2) all.get(i).shutdownOutput();
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (Arrays.stream(pollers).mapToInt(Poller::eventCapacity).sum() == before && System.nanoTime() < end) {
                    for (int i = 0; i < all.size(); i += 2) all.get(i).shutdownOutput();
                    Thread.sleep(10);
                }
                assertTrue(Arrays.stream(pollers).mapToInt(Poller::eventCapacity).sum() > before, "the event array never grew");
                for (int i = 1; i < all.size(); i += 2) assertEquals(-1, all.get(i).read(new byte[1], 0, 1));
            } finally {
                for (BlockingStream s : all) s.close();
            }
        }
    }

    @Test
    void manyConnectionsClosedInEveryStateLeakNoDescriptor() throws Exception {
        Set<Integer> before = Fds.open();
        try (BlockingListener listener = BlockingListener.bind(LOOPBACK, 128)) {
            for (int i = 0; i < 100; i++) {
                BlockingStream[] p = pair(listener);
                switch (i % 3) {
                    case 0 -> {   // closed while a reader is parked
                        CompletableFuture<Integer> r = started(() -> p[1].read(new byte[1], 0, 1)).parked().result();
                        p[1].close();
                        try {
                            r.get(5, TimeUnit.SECONDS);
                        } catch (java.util.concurrent.ExecutionException expected) {
                            // SocketException
                        }
                    }
                    case 1 -> {   // closed after some traffic
                        p[0].write(new byte[100], 0, 100);
                        p[1].inputStream().readNBytes(100);
                    }
                    default -> p[0].outputStream().close();
                }
                p[0].close();
                p[1].close();
            }
        }
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!Fds.open().equals(before) && System.nanoTime() < end) Thread.sleep(10);
        assertEquals(before, Fds.open());
    }

    @Test
    void readmeSnippetEchoesOverVirtualThreads() throws Exception {
        // The README's example, with a bounded number of connections.
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        try (BlockingListener listener = BlockingListener.bind(new InetSocketAddress("127.0.0.1", 0), 128)) {
            CountDownLatch served = new CountDownLatch(3);
            Thread.ofVirtual().start(() -> {
                try {
                    for (int i = 0; i < 3; i++) {
                        BlockingStream s = listener.accept();
                        Thread.ofVirtual().start(() -> {
                            try (s) {
                                s.inputStream().transferTo(s.outputStream());
                            } catch (IOException e) {
                                errors.add(e);
                            } finally {
                                served.countDown();
                            }
                        });
                    }
                } catch (IOException e) {
                    errors.add(e);
                }
            });
            for (int i = 0; i < 3; i++) {
                try (BlockingStream s = BlockingStream.connect(listener.localAddress())) {
                    s.outputStream().write("hello".getBytes());
                    s.shutdownOutput();
                    assertEquals("hello", new String(s.inputStream().readAllBytes()));
                }
            }
            assertTrue(served.await(10, TimeUnit.SECONDS));
        }
        assertTrue(errors.isEmpty(), errors.toString());
    }
}
