package io.ffmepoll.reactor;

import io.ffmepoll.socket.Option;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Connection.write, writeAndNotify, close and shutdownOutput called from threads other than the
 * loop's, over real loopback TCP: the bytes are copied, handed off in order with one task per
 * batch, counted against writability and maxQueuedBytes while in transit (Netty #1697), and
 * their completion reported.
 */
class WritesFromAnyThreadTest {

    /** A reactor with one loop, a listener, a blocking client and the server side's connection. */
    static final class Served implements AutoCloseable {
        final Reactor reactor;
        final Listener listener;
        final Socket client;
        final Connection server;
        final EventLoop loop;

        Served(Reactor.Builder builder, Handler handler) throws Exception {
            reactor = builder.loops(1).build();
            CompletableFuture<Connection> opened = new CompletableFuture<>();
            listener = reactor.listen(new InetSocketAddress("127.0.0.1", 0), () -> new Handler() {
                @Override
                public void onOpen(Connection c) {
                    handler.onOpen(c);
                    opened.complete(c);
                }

                @Override
                public void onRead(Connection c, MemorySegment data) {
                    handler.onRead(c, data);
                }

                @Override
                public void onWritabilityChanged(Connection c, boolean writable) {
                    handler.onWritabilityChanged(c, writable);
                }

                @Override
                public void onEndOfInput(Connection c) {
                    handler.onEndOfInput(c);
                }

                @Override
                public void onClose(Connection c, Throwable cause) {
                    handler.onClose(c, cause);
                }
            });
            client = Net.connect(listener.port());
            server = opened.get(5, TimeUnit.SECONDS);
            loop = server.loop();
        }

        /** Keeps the loop busy in a task until the returned latch is counted down. */
        CountDownLatch holdLoop() throws Exception {
            CountDownLatch release = new CountDownLatch(1), held = new CountDownLatch(1);
            loop.execute(() -> {
                held.countDown();
                Net.awaitQuietly(release);
            });
            assertTrue(held.await(5, TimeUnit.SECONDS), "loop never ran the holding task");
            return release;
        }

        /**
         * A 4 KiB send buffer on the server side: with the client's receive window (64 KiB or
         * so until it reads) the kernel then holds well under 100 KiB of what is written. The
         * client's receive buffer is left alone: shrunk, it makes the sender wait for window
         * probes and a transfer crawl.
         */
        void smallSendBuffer() throws Exception {
            loop.submit(() -> {
                server.socket().setOption(Option.SO_SNDBUF, 4096);
                return null;
            }).get(5, TimeUnit.SECONDS);
        }

        /** Runs nothing on the loop and waits for it: everything handed off before has been carried out. */
        void sync() throws Exception {
            loop.submit(() -> null).get(5, TimeUnit.SECONDS);
        }

        @Override
        public void close() throws Exception {
            client.close();
            listener.close();
            reactor.close();
        }
    }

    private static final Handler QUIET = (c, data) -> {};

    @Test
    void writesHandedOffWhileTheLoopIsBusyCostOneTaskOneWakeupAndOneSendmsg() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            try (Served s = new Served(Net.small(), QUIET)) {
                LoopCounters before = s.loop.counters();
                CountDownLatch release = s.holdLoop();
                StringBuilder expected = new StringBuilder();
                for (int i = 0; i < 100; i++) {
                    String line = "message " + i + "\n";
                    expected.append(line);
                    assertTrue(s.server.write(line.getBytes()), "writable after " + i + " small writes");
                }
                release.countDown();
                byte[] got = Net.readFully(s.client.getInputStream(), expected.length());
                assertEquals(expected.toString(), new String(got));
                s.sync();
                LoopCounters after = s.loop.counters();
                // The holding task, one drain for the 100 writes, and the sync task.
                assertEquals(3, after.tasks() - before.tasks(), "tasks run for 100 writes handed off in one batch");
                // The loop may have slept before the holding task and before the sync task (if it
                // was busy then, neither woke it): the writes found it awake and cost no eventfd write.
                long wakeups = after.wakeupsSent() - before.wakeupsSent();
                assertTrue(wakeups <= 2, wakeups + " wake-ups: more than the holding and sync tasks'");
                assertEquals(1, after.writeCalls() - before.writeCalls(), "sendmsg calls for 100 writes handed off in one batch");
            }
        });
    }

    @Test
    void callerMayReuseItsBufferAsSoonAsWriteReturns() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            try (Served s = new Served(Net.small(), QUIET)) {
                CountDownLatch release = s.holdLoop();
                byte[] buffer = new byte[1024];
                MemorySegment segment = MemorySegment.ofArray(buffer);
                for (int i = 0; i < 100; i++) {
                    Arrays.fill(buffer, (byte) i);   // the previous write's bytes are overwritten at once
                    s.server.write(i % 2 == 0 ? MemorySegment.ofArray(buffer) : segment);
                }
                release.countDown();
                byte[] got = Net.readFully(s.client.getInputStream(), 100 * 1024);
                for (int i = 0; i < 100; i++) {
                    for (int j = 0; j < 1024; j++) {
                        if (got[i * 1024 + j] != (byte) i) {
                            throw new AssertionError("block " + i + " byte " + j + " is " + got[i * 1024 + j]
                                    + ": the loop sent the caller's buffer after it was reused");
                        }
                    }
                }
            }
        });
    }

    @Test
    void writesFromManyThreadsArriveWholeAndInEachThreadsOrder() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            try (Served s = new Served(Net.small(), QUIET)) {
                int threads = 4, each = 2000;
                List<Thread> writers = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int id = t;
                    writers.add(Thread.ofPlatform().start(() -> {
                        for (int i = 0; i < each; i++) {
                            // 8 bytes: thread id, sequence number; one write each, never split
                            s.server.write(new byte[] {(byte) id, (byte) (i >> 16), (byte) (i >> 8), (byte) i, 1, 2, 3, 4});
                        }
                    }));
                }
                int[] next = new int[threads];
                InputStream in = s.client.getInputStream();
                byte[] all = Net.readFully(in, threads * each * 8);
                for (int k = 0; k < all.length; k += 8) {
                    int id = all[k];
                    int seq = ((all[k + 1] & 0xff) << 16) | ((all[k + 2] & 0xff) << 8) | (all[k + 3] & 0xff);
                    assertEquals(next[id]++, seq, "thread " + id + "'s writes out of order at byte " + k);
                    assertArrayEquals(new byte[] {1, 2, 3, 4}, Arrays.copyOfRange(all, k + 4, k + 8), "a write was split");
                }
                for (Thread w : writers) w.join();
            }
        });
    }

    /**
     * Netty #1697: writes queued from other threads escaped isWritable() and the memory bound,
     * and servers ran out of memory. Here bytes in transit count from the moment write returns.
     */
    @Test
    void writesInTransitFromOtherThreadsCountTowardsWritabilityAndTheHardLimit() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            List<Boolean> changes = new CopyOnWriteArrayList<>();
            Handler recording = new Handler() {
                @Override
                public void onRead(Connection c, MemorySegment data) {}

                @Override
                public void onWritabilityChanged(Connection c, boolean writable) {
                    changes.add(writable);
                }
            };
            int low = 16 * 1024, high = 64 * 1024, max = 256 * 1024, block = 8 * 1024;
            try (Served s = new Served(Net.small().watermarks(low, high).maxQueuedBytes(max), recording)) {
                CountDownLatch release = s.holdLoop();   // nothing handed off reaches the socket meanwhile
                byte[] data = new byte[block];
                long accepted = 0;
                while (s.server.isWritable()) {
                    s.server.write(data);
                    accepted += block;
                    assertTrue(accepted <= high + block, accepted + " bytes in transit and still writable");
                }
                assertTrue(accepted > high, "unwritable at " + accepted + " bytes, under the high watermark");
                assertEquals(accepted, s.server.queuedBytes(), "queuedBytes() must count the bytes in transit");
                IllegalStateException over = null;
                for (int i = 0; i < 2 * max / block && over == null; i++) {
                    try {
                        s.server.write(data);
                        accepted += block;
                    } catch (IllegalStateException e) {
                        over = e;
                    }
                }
                assertTrue(over != null, "no write refused with " + accepted + " bytes in transit; maxQueuedBytes is " + max);
                assertTrue(over.getMessage().contains("maxQueuedBytes"), over.getMessage());
                assertTrue(accepted <= max, accepted + " bytes accepted, over maxQueuedBytes " + max);
                assertTrue(accepted > max - block, "refused at " + accepted + " bytes, a block under the limit");
                CompletableFuture<Void> refused = s.server.writeAndNotify(data);
                ExecutionException e = assertThrows(ExecutionException.class, () -> refused.get(1, TimeUnit.SECONDS));
                assertInstanceOf(IllegalStateException.class, e.getCause());
                assertTrue(s.server.isOpen(), "a refused write from another thread does not close the connection");
                release.countDown();
                byte[] back = Net.readFully(s.client.getInputStream(), (int) accepted);
                assertEquals(accepted, back.length);
                for (int i = 0; i < 500 && changes.size() < 2; i++) Thread.sleep(10);
                assertEquals(List.of(false, true), changes, "writability changes the handler heard");
                s.sync();   // the client may read the last bytes before the loop has counted them sent
                assertTrue(s.server.isWritable());
                assertEquals(0, s.server.queuedBytes());
            }
        });
    }

    @Test
    void writeAndNotifyCompletesOnceTheKernelHasTheBytesAndFailsWithTheReasonOtherwise() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            try (Served s = new Served(Net.small(), QUIET)) {
                s.smallSendBuffer();
                s.server.writeAndNotify("hello".getBytes()).get(5, TimeUnit.SECONDS);
                assertArrayEquals("hello".getBytes(), Net.readFully(s.client.getInputStream(), 5));

                // The client reads nothing: a mebibyte cannot all reach the kernel.
                byte[] big = Net.random(1 << 20, 3);
                CompletableFuture<Void> bigSent = s.server.writeAndNotify(big);
                CompletableFuture<Void> after = s.server.writeAndNotify("after".getBytes());
                s.sync();
                s.sync();   // the drain has run and the socket has refused bytes
                assertFalse(bigSent.isDone(), "completed before the kernel could take the bytes");
                assertFalse(after.isDone(), "a later write completed before an earlier one");
                byte[] back = Net.readFully(s.client.getInputStream(), big.length + 5);
                bigSent.get(5, TimeUnit.SECONDS);
                after.get(5, TimeUnit.SECONDS);
                assertArrayEquals(big, Arrays.copyOf(back, big.length));

                CompletableFuture<Void> lost = s.server.writeAndNotify(big);
                s.sync();
                s.loop.submit(() -> {
                    s.server.abort();
                    return null;
                }).get(5, TimeUnit.SECONDS);
                ExecutionException e = assertThrows(ExecutionException.class, () -> lost.get(5, TimeUnit.SECONDS));
                assertInstanceOf(IOException.class, e.getCause());
                assertTrue(e.getCause().getMessage().contains("closed"), e.getCause().getMessage());

                ExecutionException late = assertThrows(ExecutionException.class,
                        () -> s.server.writeAndNotify(new byte[1]).get(5, TimeUnit.SECONDS));
                assertInstanceOf(IllegalStateException.class, late.getCause());
                assertThrows(IllegalStateException.class, () -> s.server.write(new byte[1]));
            }
        });
    }

    @Test
    void closeFromAnotherThreadFlushesTheWritesHandedOffBeforeIt() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            try (Served s = new Served(Net.small(), QUIET)) {
                // Most of the data is still queued on the loop when the close arrives, so a close
                // that did not wait for it would cut the stream short.
                s.smallSendBuffer();
                byte[] data = Net.random(512 * 1024, 5);
                for (int off = 0; off < data.length; off += 16 * 1024) {
                    s.server.write(MemorySegment.ofArray(data).asSlice(off, 16 * 1024));
                }
                s.server.close();
                assertThrows(IllegalStateException.class, () -> s.server.write(new byte[1]),
                        "a write after close() from another thread");
                InputStream in = s.client.getInputStream();
                assertArrayEquals(data, Net.readFully(in, data.length));
                assertEquals(-1, in.read(), "no end of stream after the flushed writes");
            }
        });
    }

    @Test
    void shutdownOutputFromAnotherThreadSendsFinAfterTheWritesAndKeepsReading() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            CompletableFuture<String> received = new CompletableFuture<>();
            Handler reader = (c, data) -> received.complete(new String(data.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)));
            try (Served s = new Served(Net.small(), reader)) {
                s.server.write("last words".getBytes());
                s.server.shutdownOutput();
                InputStream in = s.client.getInputStream();
                assertArrayEquals("last words".getBytes(), Net.readFully(in, 10));
                assertEquals(-1, in.read(), "no FIN after shutdownOutput from another thread");
                s.client.getOutputStream().write("still here".getBytes());
                assertEquals("still here", received.get(5, TimeUnit.SECONDS));
                assertTrue(s.server.isOpen());
            }
        });
    }
}
