package io.ffmepoll.reactor;

import io.ffmepoll.socket.UnixStream;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The state getters of {@link Connection} are documented as safe from any thread: another thread
 * spinning on one must see the loop's change. Each spinner is its own empty loop, so that once
 * the JIT compiles it, a plain field read would be hoisted out of it and the spinner never end.
 */
class ThreadConfinementTest {

    /** Long enough for a hot empty loop to be compiled; the test is only weaker if it is not. */
    private static final long SPIN_BEFORE_CHANGE_MS = 2_500;

    private static final Handler QUIET = (c, data) -> {};

    @Test
    void stateGettersSeeTheLoopsChangesFromAnotherThread() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try (Reactor r = Net.small().loops(1).watermarks(1024, 64 * 1024).build()) {
                UnixStream[] pair = UnixStream.pair();
                try (UnixStream peer = pair[1]) {
                    Connection c = r.register(pair[0], QUIET).get(5, TimeUnit.SECONDS);
                    CountDownLatch reading = new CountDownLatch(1), attached = new CountDownLatch(1),
                            unwritable = new CountDownLatch(1), queued = new CountDownLatch(1),
                            closed = new CountDownLatch(1);
                    Thread.ofPlatform().daemon().start(() -> {
                        while (c.isReading()) { }
                        reading.countDown();
                    });
                    Thread.ofPlatform().daemon().start(() -> {
                        while (c.attachment() == null) { }
                        attached.countDown();
                    });
                    Thread.ofPlatform().daemon().start(() -> {
                        while (c.isWritable()) { }
                        unwritable.countDown();
                    });
                    Thread.ofPlatform().daemon().start(() -> {
                        while (c.queuedBytes() == 0) { }
                        queued.countDown();
                    });
                    Thread.ofPlatform().daemon().start(() -> {
                        while (c.isOpen()) { }
                        closed.countDown();
                    });
                    Thread.sleep(SPIN_BEFORE_CHANGE_MS);

                    // The peer reads nothing: a megabyte cannot all go at once, the rest queues.
                    MemorySegment block = MemorySegment.ofArray(new byte[1 << 20]);
                    c.loop().submit(() -> {
                        c.pauseReading();
                        c.attach("session");
                        c.write(block);
                        return null;
                    }).get(5, TimeUnit.SECONDS);
                    StringBuilder unseen = new StringBuilder();
                    if (!reading.await(5, TimeUnit.SECONDS)) unseen.append(" isReading()");
                    if (!attached.await(1, TimeUnit.SECONDS)) unseen.append(" attachment()");
                    if (!unwritable.await(1, TimeUnit.SECONDS)) unseen.append(" isWritable()");
                    if (!queued.await(1, TimeUnit.SECONDS)) unseen.append(" queuedBytes()");

                    Thread.sleep(SPIN_BEFORE_CHANGE_MS);   // the isOpen spinner's own chance to be compiled
                    c.loop().submit(() -> {
                        c.abort();
                        return null;
                    }).get(5, TimeUnit.SECONDS);
                    if (!closed.await(5, TimeUnit.SECONDS)) unseen.append(" isOpen()");
                    assertEquals("", unseen.toString(), "the loop's change never became visible on another thread to");
                }
            }
        });
    }

    @Test
    void attachFromAnotherThreadIsSeenOnTheLoop() throws Exception {
        try (Reactor r = Net.small().loops(1).build()) {
            UnixStream[] pair = UnixStream.pair();
            try (UnixStream peer = pair[1]) {
                Connection c = r.register(pair[0], QUIET).get(5, TimeUnit.SECONDS);
                Object session = new Object();
                c.attach(session);
                assertEquals(session, c.loop().submit(c::attachment).get(5, TimeUnit.SECONDS));
                assertEquals(session, c.attachment());
            }
        }
    }

    @Test
    void loopOnlyMethodsStillRefuseOtherThreads() throws Exception {
        try (Reactor r = Net.small().loops(1).build()) {
            UnixStream[] pair = UnixStream.pair();
            try (UnixStream peer = pair[1]) {
                Connection c = r.register(pair[0], QUIET).get(5, TimeUnit.SECONDS);
                // write, close and shutdownOutput are handed to the loop (ConnectionWritesFromAnyThreadTest)
                assertThrows(IllegalStateException.class, c::pauseReading);
                assertThrows(IllegalStateException.class, c::resumeReading);
                assertThrows(IllegalStateException.class, c::abort);
            }
        }
    }
}
