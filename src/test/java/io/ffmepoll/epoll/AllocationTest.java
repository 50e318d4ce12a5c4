package io.ffmepoll.epoll;

import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Steady-state waits and registrations allocate nothing on the Java heap. */
public class AllocationTest {

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** An operation measured by {@link #bytesPerOp}. */
    public interface Op {
        void run() throws Exception;
    }

    /**
     * Bytes allocated by this thread per run of {@code op} in steady state: the least of several
     * rounds, since the interpreter and C1 allocate where C2, once it has compiled the loop, does
     * not; when that happens depends on the machine's load.
     */
    public static double bytesPerOp(Op op) throws Exception {
        long id = Thread.currentThread().threadId();
        int runs = 100_000;
        double best = Double.MAX_VALUE;
        // Under load the JIT compiles late: go on past 10 rounds, for up to 40 s, until a round
        // allocates nothing (a real allocation per operation never gets there).
        long deadline = System.nanoTime() + 40_000_000_000L;
        for (int round = 0; (round < 10 || System.nanoTime() - deadline < 0) && best > 0; round++) {
            long before = THREADS.getThreadAllocatedBytes(id);
            for (int i = 0; i < runs; i++) op.run();
            long after = THREADS.getThreadAllocatedBytes(id);
            best = Math.min(best, (double) (after - before) / runs);
        }
        return best;
    }

    @Test
    void waitWithEventsAllocatesNothing() throws Exception {
        try (Epoll epoll = Epoll.open(); EventFd efd = EventFd.open(); EventArray events = EventArray.allocate(8)) {
            epoll.add(efd, Interest.IN, 9);
            efd.signal(1);
            double perWait = bytesPerOp(() -> {
                int n = epoll.wait(events, 0);
                for (int i = 0; i < n; i++) {
                    if (events.token(i) != 9 || events.events(i) == 0) throw new AssertionError();
                }
            });
            assertTrue(perWait < 0.01, perWait + " bytes per wait");
            double perNanosWait = bytesPerOp(() -> epoll.waitNanos(events, 0));
            assertTrue(perNanosWait < 0.01, perNanosWait + " bytes per waitNanos");
        }
    }

    @Test
    void ctlAllocatesNothing() throws Exception {
        try (Epoll epoll = Epoll.open(); EventFd efd = EventFd.open()) {
            epoll.add(efd, Interest.IN, 1);
            Interest in = Interest.IN, out = Interest.OUT;
            long[] token = {0};
            double perMod = bytesPerOp(() -> epoll.modify(efd, (token[0]++ & 1) == 0 ? in : out, token[0]));
            assertTrue(perMod < 0.01, perMod + " bytes per epoll_ctl(MOD)");
        }
    }

    @Test
    void eventfdRoundTripAllocatesNothing() throws Exception {
        try (EventFd efd = EventFd.open()) {
            double perRoundTrip = bytesPerOp(() -> {
                efd.signal(1);
                if (efd.read() != 1) throw new AssertionError();
            });
            assertTrue(perRoundTrip < 0.01, perRoundTrip + " bytes per eventfd round trip");
        }
    }
}
