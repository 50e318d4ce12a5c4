package io.ffmepoll.reactor;

import io.ffmepoll.internal.sys.FaultPlan;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.Socket;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fault schedules that once broke an invariant, each named after the defect it found and kept
 * as it ran (seed and kinds). Runs in the {@code fault-schedules} execution, like
 * {@link FaultScheduleTest}, which prints the line that replays any of them.
 */
class FaultRegressionTest {

    @BeforeAll
    static void installed() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(FaultPlan.installed(),
                "needs -Dffmepoll.faults=" + FaultPlan.class.getName());
        FaultScenarios.warmUp();
    }

    private static void passes(long seed, int kinds) throws Exception {
        FaultScenarios.Outcome o = FaultScheduleTest.run(seed, kinds, false);
        assertNull(o.failure(), o::describe);
    }

    /** Seed 14: the second loop's eventfd fails (EMFILE); the first loop's epoll and eventfd stayed open after build() threw. */
    @Test
    void failedBuildLeavesNoDescriptorOpen() throws Exception {
        passes(14, FaultPlan.ALL & ~FaultScheduleTest.KNOWN_OPEN);
    }

    /**
     * Seed 322 (HTTP, IO_ERRORS): a write that fails (EPIPE, ECONNRESET...) closes the
     * connection once the callback returns; the handler's next write in the same callback threw
     * IllegalStateException, which the handler cannot avoid (isOpen() is still true) and the
     * loop counted as a handler failure. Made deterministic: the write fails on purpose.
     */
    @Test
    void writeAfterAFailedWriteInTheSameCallbackIsDiscarded() throws Exception {
        FaultPlan plan = FaultPlan.get();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicReference<Throwable> cause = new AtomicReference<>();
        AtomicReference<Boolean> secondWrite = new AtomicReference<>();
        CountDownLatch closed = new CountDownLatch(1);
        try (Reactor r = Net.small().loops(1).build();
             Listener l = r.listen(FaultScheduleTest.loopback(), () -> new Handler() {
                 @Override
                 public void onRead(Connection c, MemorySegment data) {
                     plan.begin(1, FaultPlan.IO_ERRORS, 1.0);
                     try {
                         // Large enough to go out at once: a small write is held until the
                         // callback returns, and would meet no fault there.
                         c.write(MemorySegment.ofArray(new byte[256 * 1024]));
                     } finally {
                         plan.end();
                     }
                     try {
                         secondWrite.set(c.write(data));
                     } catch (Throwable t) {
                         thrown.set(t);
                     }
                 }

                 @Override
                 public void onClose(Connection c, Throwable t) {
                     cause.set(t);
                     closed.countDown();
                 }
             })) {
            try (Socket s = Net.connect(l.port())) {
                s.getOutputStream().write("request".getBytes());
                assertTrue(closed.await(5, TimeUnit.SECONDS), "connection not closed after its write failed");
            }
            assertNull(thrown.get(), "second write threw");
            assertEquals(Boolean.FALSE, secondWrite.get(), "a discarded write reports not writable");
            assertInstanceOf(IOException.class, cause.get(), "onClose names the write's error");
            assertEquals(0, r.counters().stream().mapToLong(LoopCounters::handlerFailures).sum());
        }
    }

    /**
     * Seed 228 (TCP echo, one short read at a mark): a read shorter than the buffer is taken
     * for "drained", but at TCP's urgent mark or an AF_UNIX SCM_RIGHTS boundary the rest is
     * already there and no edge will announce it; the client, waiting for its echo before it
     * half-closes, saw 1 of 6,964 bytes. Issue 8 item 13, fixed on main by its own change.
     */
    @Test
    void shortReadAtAMarkDoesNotStallTheConnection() throws Exception {
        passes(228, FaultPlan.SHORT_READ_AT_MARK);
    }

    /**
     * Seed 467 (UDP echo, IO_ERRORS): DatagramEndpoint stopped reading after two receive errors
     * in a row and waited for a new edge; after a transient ENOMEM or EINTR the datagrams already
     * queued were never read ("UDP server saw 0 of 38 datagrams") until another one arrived. It
     * now tries again after a pause that doubles while the errors go on.
     */
    @Test
    void transientReceiveErrorsDoNotStrandQueuedDatagrams() throws Exception {
        passes(467, FaultPlan.ALL);
    }

    /**
     * Seed 106897 (TCP echo over two loops, EAGAIN and create errors): one loop closed a
     * connection it could not register while the other accepted a new one that took the same
     * fd number; the fault layer's late record of the close erased the new registration, so an
     * event owed after an injected EAGAIN never came ("client read timed out after 2048 of
     * 12169 bytes", about 1 run in 20 under load). A defect of the fault layer, not the
     * library; {@code FaultPlanTest} reproduces the interleaving deterministically, and this
     * replays the seed a few times since it depends on timing.
     */
    @Test
    void aClosedFdsLateRecordDoesNotEraseTheNumbersNextRegistration() throws Exception {
        for (int i = 0; i < 50; i++) passes(106897, FaultPlan.ALL);
    }
}
