package io.ffmepoll.epoll;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Timeouts, the EINTR policy and a full event array. */
class EpollWaitTest {

    @Test
    void subMillisecondTimeoutIsNeitherZeroNorEarly() throws Exception {
        try (Epoll epoll = Epoll.open(); EventArray events = EventArray.allocate(1)) {
            long[] timeouts = {1, 50_000, 300_000, 999_999, 1_500_000};
            for (long nanos : timeouts) {
                long start = System.nanoTime();
                assertEquals(0, epoll.wait(events, Duration.ofNanos(nanos)));
                long took = System.nanoTime() - start;
                assertTrue(took >= nanos, "waited " + took + " ns for a " + nanos + " ns timeout");
            }
            if (Epoll.hasPwait2()) {
                assertEquals(timeouts.length, epoll.epollPwait2Calls(), "each ran epoll_pwait2");
                assertEquals(0, epoll.epollWaitCalls(), "none was rounded to epoll_wait");
            } else {
                assertEquals(0, epoll.epollPwait2Calls());
                assertEquals(timeouts.length, epoll.epollWaitCalls());
            }
        }
    }

    /**
     * Without epoll_pwait2 (denied here by a seccomp filter on this thread, as a container
     * profile would) timeouts run epoll_wait rounded up to whole milliseconds: 1 ns must become
     * 1 ms, not 0 (a busy loop), and 1 ms + 1 ns must become 2 ms.
     */
    @Test
    void withoutPwait2TimeoutsRoundUpToWholeMilliseconds() throws Throwable {
        onAThreadDenyingPwait2(() -> {
            try (Epoll epoll = Epoll.open(); EventArray events = EventArray.allocate(1)) {
                long[][] cases = {{1, 1}, {999_999, 1}, {1_000_001, 2}, {2_000_000, 2}};
                for (long[] c : cases) {
                    long start = System.nanoTime();
                    assertEquals(0, epoll.waitNanos(events, c[0]));
                    long took = System.nanoTime() - start;
                    assertTrue(took >= c[1] * 1_000_000, "waited " + took + " ns for " + c[0] + " ns");
                }
                assertEquals(cases.length, epoll.epollWaitCalls(), "every wait ran epoll_wait");
                // Past epoll_wait's int range: capped, not wrapped around ((int) of this is 5 ms).
                try (EventFd wake = EventFd.open()) {
                    epoll.add(wake, Interest.IN, 1);
                    Thread.ofPlatform().start(() -> {
                        try {
                            Thread.sleep(200);
                            wake.signal(1);
                        } catch (Exception e) {
                            throw new AssertionError(e);
                        }
                    });
                    long start = System.nanoTime();
                    assertEquals(1, epoll.waitNanos(events, ((1L << 32) + 5) * 1_000_000 + 1));
                    long took = System.nanoTime() - start;
                    assertTrue(took >= 150_000_000, "a wait of 136 years returned after " + took + " ns");
                }
            }
        });
    }

    /**
     * EPERM from epoll_pwait2 at run time (a seccomp profile that denies it; ENOSYS alike) must
     * not fail the wait: the instance falls back to epoll_wait, rounded up, and stays there.
     */
    @Test
    void epermFromEpollPwait2FallsBackToRoundedEpollWaitForGood() throws Throwable {
        assumeTrue(Epoll.hasPwait2(), "no epoll_pwait2 on this kernel: nothing to fall back from");
        onAThreadDenyingPwait2(() -> {
            try (Epoll epoll = Epoll.open(); EventArray events = EventArray.allocate(1)) {
                long start = System.nanoTime();
                assertEquals(0, epoll.wait(events, Duration.ofNanos(300_000)));
                assertTrue(System.nanoTime() - start >= 1_000_000, "rounded up to 1 ms");
                assertEquals(1, epoll.epollPwait2Calls(), "epoll_pwait2 was tried");
                assertEquals(1, epoll.epollWaitCalls(), "then epoll_wait ran");
                assertEquals(0, epoll.wait(events, Duration.ofNanos(300_000)));
                assertEquals(1, epoll.epollPwait2Calls(), "and is not tried again");
                assertEquals(2, epoll.epollWaitCalls());
            }
        });
    }

    /** Runs {@code body} on a new platform thread whose epoll_pwait2 answers EPERM. */
    static void onAThreadDenyingPwait2(ThrowingRunnable body) throws Throwable {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread.ofPlatform().name("seccomp-no-pwait2").start(() -> {
            try {
                Seccomp.deny(Seccomp.NR_EPOLL_PWAIT2, Errors.EPERM);
                body.run();
                done.complete(null);
            } catch (Throwable t) {
                done.completeExceptionally(t);
            }
        });
        try {
            done.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause();
        }
    }

    interface ThrowingRunnable {
        void run() throws Throwable;
    }

    /** ChronoUnit.FOREVER, Long.MAX_VALUE nanoseconds and a 10,000-year wait all wait, without overflow. */
    @Test
    void hugeTimeoutsWaitInsteadOfOverflowing() throws Exception {
        try (Epoll epoll = Epoll.open(); EventArray events = EventArray.allocate(1); EventFd wake = EventFd.open()) {
            epoll.add(wake, Interest.IN, 5);
            List<Callable<Integer>> waits = List.of(
                    () -> epoll.wait(events, ChronoUnit.FOREVER.getDuration()),
                    () -> epoll.waitNanos(events, Long.MAX_VALUE),
                    () -> epoll.waitNanos(events, Long.MAX_VALUE - 1),
                    () -> epoll.wait(events, Duration.ofDays(3_652_500)));
            for (Callable<Integer> wait : waits) {
                CompletableFuture<Integer> result = CompletableFuture.supplyAsync(() -> {
                    try {
                        return wait.call();
                    } catch (Exception e) {
                        throw new CompletionException(e);
                    }
                }, r -> Thread.ofPlatform().start(r));
                try {
                    result.get(100, TimeUnit.MILLISECONDS);
                    throw new AssertionError("returned at once: " + result.join());
                } catch (TimeoutException stillWaiting) {
                    // as it should
                }
                wake.signal(1);
                assertEquals(1, result.get(10, TimeUnit.SECONDS));
                assertEquals(5, events.token(0));
                wake.read();
            }
        }
    }

    @Test
    void aFullWaitGrowsTheArrayUntilEveryReadyFdIsSeen() throws Exception {
        List<EventFd> fds = new ArrayList<>();
        try (Epoll epoll = Epoll.open(); EventArray events = EventArray.allocate(4)) {
            for (int i = 0; i < 10; i++) {
                EventFd efd = EventFd.open();
                fds.add(efd);
                epoll.add(efd, Interest.IN, 1000 + i);
                efd.signal(1);
            }
            assertEquals(4, epoll.wait(events, 0));
            assertTrue(events.growIfFull(4));
            assertEquals(8, events.capacity());
            assertEquals(8, epoll.wait(events, 0));
            assertTrue(events.growIfFull(8));
            int n = epoll.wait(events, 0);
            assertEquals(10, n, "level-triggered: all ten still ready");
            assertFalse(events.growIfFull(n), "not full: no growth");
            long sum = 0;
            for (int i = 0; i < n; i++) sum += events.token(i);
            assertEquals(10 * 1000 + 45, sum, "every token exactly once");
        } finally {
            fds.forEach(EventFd::close);
        }
    }

    /**
     * A grow between the moment a wait takes the array's memory and the call must not let the
     * kernel write past that memory: maxevents comes from the segment passed, not from the
     * capacity read afterwards. The seam grows the array at exactly that moment.
     */
    @Test
    void aGrowDuringAWaitCannotMakeTheKernelWritePastTheSegmentPassed() throws Exception {
        List<EventFd> fds = new ArrayList<>();
        try (Epoll epoll = Epoll.open(); EventArray events = EventArray.allocate(4)) {
            for (int i = 0; i < 6; i++) {
                EventFd efd = EventFd.open();
                fds.add(efd);
                epoll.add(efd, Interest.IN, i);
                efd.signal(1);
            }
            EventArray.beginWaitHook = () -> assertTrue(events.growIfFull(4));
            int n;
            try {
                n = epoll.wait(events, 0);
            } finally {
                EventArray.beginWaitHook = null;
            }
            assertEquals(4, n, "the segment passed holds 4 events");
            assertEquals(8, events.capacity());
            assertEquals(6, epoll.wait(events, 0), "the grown array serves the next wait");
        } finally {
            fds.forEach(EventFd::close);
        }
    }

    @Test
    void tokensKeepAll64Bits() throws Exception {
        long[] tokens = {0, -1L, Long.MIN_VALUE, Long.MAX_VALUE, 0x0123_4567_89AB_CDEFL};
        try (Epoll epoll = Epoll.open(); EventArray events = EventArray.allocate(1)) {
            for (long token : tokens) {
                try (EventFd efd = EventFd.open()) {
                    epoll.add(efd, Interest.IN, token);
                    efd.signal(1);
                    assertEquals(1, epoll.wait(events, 100));
                    assertEquals(token, events.token(0));
                }
            }
        }
    }

    /**
     * EINTR policy: a signal that interrupts epoll_wait ends the wait early with zero events.
     * A no-op handler (getpid) is installed for SIGURG without SA_RESTART; tgkill delivers the
     * signal to the waiting thread until its 30 s wait returns.
     */
    @Test
    void aSignalEndsTheWaitWithZeroEvents() throws Throwable {
        Linker linker = Linker.nativeLinker();
        SymbolLookup libc = linker.defaultLookup();
        MethodHandle sigaction = linker.downcallHandle(libc.find("sigaction").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        MethodHandle gettid = linker.downcallHandle(libc.find("gettid").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT));
        MethodHandle tgkill = linker.downcallHandle(libc.find("tgkill").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        int sigurg = 23;
        int pid = (int) ProcessHandle.current().pid();
        try (Arena arena = Arena.ofConfined(); Epoll epoll = Epoll.open(); EventArray events = EventArray.allocate(1)) {
            // struct sigaction: handler, 128-byte mask, int flags (+pad), restorer: 152 bytes.
            MemorySegment action = arena.allocate(152, 8);
            action.set(ValueLayout.ADDRESS, 0, libc.find("getpid").orElseThrow());
            assertEquals(0, (int) sigaction.invokeExact(sigurg, action, MemorySegment.NULL));
            try {
                AtomicInteger tid = new AtomicInteger();
                CompletableFuture<Integer> result = CompletableFuture.supplyAsync(() -> {
                    try {
                        tid.set((int) gettid.invokeExact());
                        return epoll.wait(events, 30_000);
                    } catch (Throwable t) {
                        throw new AssertionError(t);
                    }
                }, r -> Thread.ofPlatform().start(r));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!result.isDone() && System.nanoTime() < deadline) {
                    if (tid.get() != 0) {
                        int r = (int) tgkill.invokeExact(pid, tid.get(), sigurg);
                        assertEquals(0, r);
                    }
                    Thread.sleep(20);
                }
                assertEquals(0, result.get(1, TimeUnit.SECONDS), "interrupted wait reports no events");
            } finally {
                action.set(ValueLayout.ADDRESS, 0, MemorySegment.NULL);   // SIG_DFL
                int r = (int) sigaction.invokeExact(sigurg, action, MemorySegment.NULL);
                assertEquals(0, r);
            }
        }
    }
}
