package io.ffmepoll.reactor;

import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FailureIsolationTest {

    static final class Boom extends RuntimeException {
        Boom() {
            super("handler bug (expected by the test)");
        }
    }

    @Test
    void handlerExceptionClosesOnlyItsConnectionAndIsCounted() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            CompletableFuture<Throwable> cause = new CompletableFuture<>();
            try (Reactor r = Net.small().loops(1).build();
                 Listener l = r.listen(new InetSocketAddress("127.0.0.1", 0), () -> new Echo() {
                     @Override
                     public void onRead(Connection c, MemorySegment data) {
                         if (data.get(ValueLayout.JAVA_BYTE, 0) == '!') throw new Boom();
                         super.onRead(c, data);
                     }

                     @Override
                     public void onClose(Connection c, Throwable t) {
                         if (t != null) cause.complete(t);
                     }
                 });
                 Socket good = Net.connect(l.port());
                 Socket bad = Net.connect(l.port())) {
                good.getOutputStream().write('a');
                assertEquals('a', good.getInputStream().read());
                bad.getOutputStream().write('!');
                assertEquals(-1, bad.getInputStream().read(), "failing connection not closed");
                assertTrue(cause.get(5, TimeUnit.SECONDS) instanceof Boom);
                good.getOutputStream().write('b');
                assertEquals('b', good.getInputStream().read(), "other connection on the loop affected");
                assertEquals(1, r.counters().get(0).handlerFailures());
            }
        });
    }

    /** A task and a timeout that throw have run, are logged, and the loop runs the next ones. */
    @Test
    void failingTasksAndTimeoutsDoNotStopTheLoop() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            try (Reactor r = Net.small().loops(1).build()) {
                EventLoop loop = r.loops().get(0);
                CountDownLatch failed = new CountDownLatch(2);
                loop.execute(() -> {
                    failed.countDown();
                    throw new Boom();
                });
                Timeout t = loop.schedule(Duration.ofMillis(1), () -> {
                    failed.countDown();
                    throw new Boom();
                });
                assertTrue(failed.await(5, TimeUnit.SECONDS), "the failing task or timeout never ran");
                assertTrue(t.hasRun());
                CompletableFuture<String> next = new CompletableFuture<>();
                loop.schedule(Duration.ofMillis(1), () -> next.complete("timer"));
                assertEquals("timer", next.get(5, TimeUnit.SECONDS), "timeouts stopped after one failed");
                assertEquals("ok", loop.submit(() -> "ok").get(5, TimeUnit.SECONDS));
                LoopCounters c = loop.counters();
                assertTrue(c.timersFired() >= 2 && c.tasks() >= 2, c.toString());
            }
        });
    }

    @Test
    void slowHandlerRunsAreRecordedAsJfrEvents() throws Exception {
        Path file = Files.createTempFile("ffm-reactor", ".jfr");
        try (Recording rec = new Recording()) {
            rec.enable("io.ffmepoll.SlowHandler").withThreshold(Duration.ofMillis(10));
            rec.start();
            try (Reactor r = Net.small().loops(1).build();
                 Listener l = r.listen(new InetSocketAddress("127.0.0.1", 0), () -> new Echo() {
                     @Override
                     public void onRead(Connection c, MemorySegment data) {
                         try {
                             Thread.sleep(30);
                         } catch (InterruptedException e) {
                             Thread.currentThread().interrupt();
                         }
                         super.onRead(c, data);
                     }
                 });
                 Socket s = Net.connect(l.port())) {
                s.getOutputStream().write('x');
                assertEquals('x', s.getInputStream().read());
            }
            rec.stop();
            rec.dump(file);
            List<RecordedEvent> events = RecordingFile.readAllEvents(file);
            // On a loaded machine an accept can be slow too: look for the handler's own run.
            RecordedEvent e = events.stream().filter(ev -> ev.getString("handler").contains("FailureIsolationTest"))
                    .findFirst().orElse(null);
            assertFalse(e == null, "no SlowHandler event for the slow handler: " + events);
            assertEquals("io.ffmepoll.SlowHandler", e.getEventType().getName());
            assertTrue(e.getString("handler").contains("FailureIsolationTest"), e.getString("handler"));
            assertTrue(e.getDuration().toMillis() >= 25, "duration " + e.getDuration());
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
