package io.ffmepoll.epoll;

import io.ffmepoll.internal.gen.Linux;
import io.ffmepoll.internal.sys.EpollEventLayout;
import io.ffmepoll.internal.sys.Sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.Objects;

/**
 * An epoll instance: a kernel set of watched descriptors and the ready list they feed.
 * <p>Opened with {@code EPOLL_CLOEXEC}. Each registration carries an {@link Interest} and a
 * 64-bit token stored in {@code epoll_data}; a wait hands the tokens back in an
 * {@link EventArray}. Registration methods may be called from any thread, including while
 * another thread waits.
 *
 * <h2>Start-up self-test</h2>
 * The first {@link #open()} proves the {@code epoll_event} layout chosen for this architecture
 * against the running kernel: a token goes in with an eventfd and must come out unchanged, or
 * {@code open()} throws a {@link LinkageError} naming the layout. The same probe learns whether
 * {@code epoll_pwait2} (Linux 5.11) works here. The test needs two descriptors for a moment: a
 * first use while the process has none left fails with {@code EMFILE} like any open, and the
 * test runs again on the next use, until it has passed once.
 *
 * <h2>Timeouts</h2>
 * {@link #wait(EventArray, Duration)} uses {@code epoll_pwait2} for timeouts that are not whole
 * milliseconds where the kernel has it; elsewhere they are rounded up, never down, so a short
 * wait does not turn into a busy loop. If {@code epoll_pwait2} is refused at run time
 * ({@code EPERM} from a seccomp profile, {@code ENOSYS}), the instance falls back to rounding
 * up for good instead of failing. Timeouts too long to express wait forever
 * ({@link #FOREVER}, {@code ChronoUnit.FOREVER}).
 * {@snippet :
 * try (Epoll epoll = Epoll.open();
 *      EventFd wake = EventFd.open();
 *      EventArray events = EventArray.allocate(16)) {
 *     epoll.add(wake, Interest.IN.with(Interest.ET), 42L);
 *     wake.signal(1);
 *     int n = epoll.wait(events, Duration.ofMillis(100));
 *     assert n == 1 && events.token(0) == 42L;
 * }
 * }
 */
public final class Epoll extends Descriptor {

    private static final int CTL_ADD = Linux.EPOLL_CTL_ADD();
    private static final int CTL_MOD = Linux.EPOLL_CTL_MOD();
    private static final int CTL_DEL = Linux.EPOLL_CTL_DEL();
    /** The self-test's verdict: 0 until it has passed, then 1 without epoll_pwait2, 2 with it. */
    private static volatile int verdict;
    private static final Object SELF_TEST = new Object();

    /**
     * A {@link #waitNanos(EventArray, long)} timeout that waits forever, as does any negative
     * one: {@code Long.MAX_VALUE} nanoseconds, about 292 years.
     */
    public static final long FOREVER = Long.MAX_VALUE;

    /** Whether this instance's sub-millisecond waits use epoll_pwait2; cleared for good if refused. */
    private boolean pwait2;
    /** Calls made by this instance's waits, for tests (approximate under concurrent waits). */
    private long waitCalls, pwait2Calls;

    private Epoll(int fd, boolean pwait2) {
        super(fd);
        this.pwait2 = pwait2;
    }

    /**
     * Opens an epoll instance ({@code epoll_create1(EPOLL_CLOEXEC)}), after the start-up
     * self-test if it has not passed yet. Thread-safe.
     * @return a new instance, owned by the caller
     * @throws NativeIOException EMFILE or ENFILE when out of descriptors
     * @throws LinkageError if the {@code epoll_event} layout does not match the kernel
     */
    public static Epoll open() throws NativeIOException {
        boolean pwait2 = selfTest();
        return new Epoll(Errors.check("epoll_create1", Sys.epollCreate1(Linux.EPOLL_CLOEXEC())), pwait2);
    }

    /**
     * Whether this kernel and C library have a working {@code epoll_pwait2}, as the start-up
     * self-test found. Runs the self-test if no {@link #open()} has; if it cannot run for lack
     * of descriptors, returns false for now (it runs again on the next call). An instance
     * refused {@code epoll_pwait2} later still falls back on its own (see Timeouts).
     * Thread-safe.
     * @return whether waits can use {@code epoll_pwait2}'s nanosecond timeouts
     * @throws LinkageError if the {@code epoll_event} layout does not match the kernel
     */
    public static boolean hasPwait2() {
        try {
            return selfTest();
        } catch (NativeIOException noDescriptors) {
            return false;
        }
    }

    /** The self-test's result, running it unless it has passed: whether epoll_pwait2 works. */
    private static boolean selfTest() throws NativeIOException {
        int v = verdict;
        if (v == 0) {
            synchronized (SELF_TEST) {
                v = verdict;
                if (v == 0) verdict = v = SelfTest.run() ? 2 : 1;
            }
        }
        return v == 2;
    }

    /**
     * Starts watching {@code target} ({@code EPOLL_CTL_ADD}).
     * @param target the descriptor to watch; it stays owned by the caller
     * @param interest what to report, and how (level- or edge-triggered, one-shot...)
     * @param token any 64-bit value, handed back by {@link EventArray#token(int)} with each event
     * @throws NativeIOException EEXIST if already watched, EPERM for a regular file, EINVAL for
     *         this instance itself, ENOSPC past {@code max_user_watches}
     * @throws IllegalStateException if this instance or {@code target} is closed
     */
    public void add(Descriptor target, Interest interest, long token) throws NativeIOException {
        ctl(CTL_ADD, "epoll_ctl(ADD)", target, interest.bits(), token);
    }

    /**
     * Changes the interest and token of a watched descriptor ({@code EPOLL_CTL_MOD}); also
     * re-arms a {@link Interest#ONESHOT} registration.
     * @param target a descriptor this instance watches
     * @param interest the new interest, replacing the old one
     * @param token the new token
     * @throws NativeIOException ENOENT if not watched; EINVAL with {@link Interest#EXCLUSIVE}
     */
    public void modify(Descriptor target, Interest interest, long token) throws NativeIOException {
        ctl(CTL_MOD, "epoll_ctl(MOD)", target, interest.bits(), token);
    }

    /**
     * Stops watching {@code target} ({@code EPOLL_CTL_DEL}). Closing a descriptor removes it
     * too, once no other fd refers to the same open file.
     * @param target a descriptor this instance watches
     * @throws NativeIOException ENOENT if not watched
     */
    public void delete(Descriptor target) throws NativeIOException {
        ctl(CTL_DEL, "epoll_ctl(DEL)", target, 0, 0);
    }

    private void ctl(int op, String call, Descriptor target, int events, long token) throws NativeIOException {
        Objects.requireNonNull(target, "target");
        int epfd = acquire();
        try {
            int fd = target.acquire();
            try {
                int r = Sys.epollCtl(epfd, op, fd, events, token);
                if (r < 0) throw Errors.exception(call, r);
            } finally {
                target.release();
            }
        } finally {
            release();
        }
    }

    /**
     * Waits up to {@code timeoutMillis} for events ({@code -1}: forever, {@code 0}: don't block).
     * Thread-safe; several threads may wait on one instance, each into its own array.
     * @param events where the kernel writes the ready events
     * @param timeoutMillis the longest wait in milliseconds
     * @return the number of events in {@code events}, 0 on timeout or when a signal interrupted
     *         the wait (see {@link Errors})
     * @throws IllegalArgumentException if {@code timeoutMillis < -1}
     * @throws NativeIOException if the wait fails (not for {@code EINTR}, which returns 0)
     */
    public int wait(EventArray events, int timeoutMillis) throws NativeIOException {
        if (timeoutMillis < -1) throw new IllegalArgumentException("timeout below -1: " + timeoutMillis);
        return waitInto(events, timeoutMillis, -1);
    }

    /**
     * Waits up to {@code timeout} for events, with sub-millisecond precision where the kernel
     * has {@code epoll_pwait2}; otherwise rounded up to whole milliseconds. A timeout too long
     * for {@link Duration#toNanos()} (such as {@code ChronoUnit.FOREVER.getDuration()}) waits
     * forever. Thread-safe, as {@link #wait(EventArray, int)}.
     * @param events where the kernel writes the ready events
     * @param timeout the longest wait; {@link Duration#ZERO} does not block
     * @return as {@link #wait(EventArray, int)}
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws NativeIOException if the wait fails (not for {@code EINTR}, which returns 0)
     */
    public int wait(EventArray events, Duration timeout) throws NativeIOException {
        if (timeout.isNegative()) throw new IllegalArgumentException("negative timeout: " + timeout);
        return waitNanos(events, Nanos.saturated(timeout));
    }

    /**
     * Waits up to {@code timeoutNanos} nanoseconds. A negative value or {@link #FOREVER}
     * waits forever. The allocation-free form of {@link #wait(EventArray, Duration)}, for event
     * loops. Where {@code epoll_pwait2} is unavailable a timeout is rounded up to whole
     * milliseconds and capped at {@link Integer#MAX_VALUE} of them (about 24.8 days): a longer
     * wait returns 0 events then, like any timeout. Thread-safe, as {@link #wait(EventArray, int)}.
     * @param events where the kernel writes the ready events
     * @param timeoutNanos the longest wait in nanoseconds; 0 does not block
     * @return as {@link #wait(EventArray, int)}
     * @throws NativeIOException if the wait fails (not for {@code EINTR}, which returns 0)
     */
    public int waitNanos(EventArray events, long timeoutNanos) throws NativeIOException {
        if (timeoutNanos < 0 || timeoutNanos == FOREVER) return waitInto(events, -1, -1);
        long millis = timeoutNanos / 1_000_000 + (timeoutNanos % 1_000_000 == 0 ? 0 : 1);   // round up: never 0 for > 0
        int cappedMillis = (int) Math.min(millis, Integer.MAX_VALUE);
        boolean exactInMillis = timeoutNanos % 1_000_000 == 0 && millis <= Integer.MAX_VALUE;
        return waitInto(events, cappedMillis, exactInMillis || !pwait2 ? -1 : timeoutNanos);
    }

    /**
     * The one wait: {@code epoll_pwait2} for {@code timeoutNanos >= 0}, falling back to
     * {@code epoll_wait} with {@code timeoutMillis} if the kernel refuses it.
     */
    private int waitInto(EventArray events, int timeoutMillis, long timeoutNanos) throws NativeIOException {
        MemorySegment array = events.beginWait();
        try {
            int epfd = acquire();
            try {
                int max = maxEvents(array);
                if (timeoutNanos >= 0) {
                    pwait2Calls++;
                    int r = Sys.epollPwait2(epfd, array, max, timeoutNanos);
                    if (r != -Errors.ENOSYS && r != -Errors.EPERM) return waitResult("epoll_pwait2", r);
                    // The probe succeeded, yet this call was refused: a seccomp profile applied
                    // since (EPERM), or a checkpoint restored on an older kernel (ENOSYS). Fall
                    // back for good: timeouts round up from now on, never fail.
                    pwait2 = false;
                }
                waitCalls++;
                return waitResult("epoll_wait", Sys.epollWait(epfd, array, max, timeoutMillis));
            } finally {
                release();
            }
        } finally {
            events.endWait();
        }
    }

    /** maxevents for the array the kernel is handed: from that segment, so it cannot overrun it. */
    private static int maxEvents(MemorySegment array) {
        return (int) (array.byteSize() / EpollEventLayout.SIZE);
    }

    /** How many epoll_wait calls this instance's waits made. */
    long epollWaitCalls() {
        return waitCalls;
    }

    /** How many epoll_pwait2 calls this instance's waits made (failed ones included). */
    long epollPwait2Calls() {
        return pwait2Calls;
    }

    private static int waitResult(String call, int r) throws NativeIOException {
        if (r >= 0) return r;
        if (r == -Errors.EINTR) return 0;
        throw Errors.exception(call, r);
    }

    /**
     * Proves the event layout and probes epoll_pwait2; run until it passes once per JVM. A
     * failure to get descriptors or register is an ordinary NativeIOException, so that the
     * next use tries again; only a layout the kernel contradicts is an error.
     */
    private static final class SelfTest {
        static final long TOKEN = 0x8123_4567_89AB_CDEFL;

        static boolean run() throws NativeIOException {
            int epfd = Sys.epollCreate1(Linux.EPOLL_CLOEXEC());
            int efd = epfd < 0 ? epfd : Sys.eventfd(0, Linux.EFD_CLOEXEC() | Linux.EFD_NONBLOCK());
            try (Arena arena = Arena.ofConfined()) {
                if (epfd < 0) throw Errors.exception("epoll self-test: epoll_create1", epfd);
                if (efd < 0) throw Errors.exception("epoll self-test: eventfd", efd);
                MemorySegment array = arena.allocate(EpollEventLayout.SIZE * 2, 8);
                Errors.check("epoll self-test: epoll_ctl(ADD)", Sys.epollCtl(epfd, CTL_ADD, efd, Linux.EPOLLIN(), TOKEN));
                Errors.check("epoll self-test: write(eventfd)", Sys.writeLong(efd, 1));
                int n;
                do n = Sys.epollWait(epfd, array, 2, 1000); while (n == -Errors.EINTR);
                if (n < 0) throw Errors.exception("epoll self-test: epoll_wait", n);
                long token = n == 1 ? EpollEventLayout.data(array, 0) : 0;
                int events = n == 1 ? EpollEventLayout.events(array, 0) : 0;
                if (n != 1 || token != TOKEN || events != Linux.EPOLLIN()) {
                    throw new LinkageError(String.format(
                            "epoll_event layout for os.arch=%s (%d bytes, data at %d) does not match the kernel:"
                                    + " wrote token %x, read %d event(s) with token %x and events %x",
                            System.getProperty("os.arch"), EpollEventLayout.SIZE, EpollEventLayout.DATA_OFFSET,
                            TOKEN, n, token, events));
                }
                // Only a call that worked proves epoll_pwait2 usable: a seccomp profile may answer
                // EPERM (or anything) for a call it denies.
                return Sys.hasEpollPwait2() && Sys.epollPwait2(epfd, array, 2, 0) >= 0;
            } finally {
                if (efd >= 0) Sys.close(efd);
                if (epfd >= 0) Sys.close(epfd);
            }
        }
    }
}
