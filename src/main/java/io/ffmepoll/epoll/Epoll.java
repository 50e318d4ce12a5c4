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
 * The first use proves the {@code epoll_event} layout chosen for this architecture against the
 * running kernel: a token goes in with an eventfd and must come out unchanged, or the class
 * fails to initialise with a message naming the layout. The same probe learns whether the
 * kernel has {@code epoll_pwait2} (Linux 5.11).
 *
 * <h2>Timeouts</h2>
 * {@link #wait(EventArray, Duration)} uses {@code epoll_pwait2} for timeouts that are not whole
 * milliseconds where the kernel has it; elsewhere they are rounded up, never down, so a short
 * wait does not turn into a busy loop.
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
    private static final boolean PWAIT2 = SelfTest.run();

    private Epoll(int fd) {
        super(fd);
    }

    /** Opens an epoll instance ({@code epoll_create1(EPOLL_CLOEXEC)}). */
    public static Epoll open() throws NativeIOException {
        return new Epoll(Errors.check("epoll_create1", Sys.epollCreate1(Linux.EPOLL_CLOEXEC())));
    }

    /** Whether this kernel and C library have {@code epoll_pwait2}. */
    public static boolean hasPwait2() {
        return PWAIT2;
    }

    /**
     * Starts watching {@code target} ({@code EPOLL_CTL_ADD}).
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
     * @throws NativeIOException ENOENT if not watched; EINVAL with {@link Interest#EXCLUSIVE}
     */
    public void modify(Descriptor target, Interest interest, long token) throws NativeIOException {
        ctl(CTL_MOD, "epoll_ctl(MOD)", target, interest.bits(), token);
    }

    /**
     * Stops watching {@code target} ({@code EPOLL_CTL_DEL}). Closing a descriptor removes it
     * too, once no other fd refers to the same open file.
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
     * @return the number of events in {@code events}, 0 on timeout or when a signal interrupted
     *         the wait (see {@link Errors})
     * @throws IllegalArgumentException if {@code timeoutMillis < -1}
     */
    public int wait(EventArray events, int timeoutMillis) throws NativeIOException {
        if (timeoutMillis < -1) throw new IllegalArgumentException("timeout below -1: " + timeoutMillis);
        MemorySegment array = events.beginWait();
        try {
            int epfd = acquire();
            try {
                return waitResult(Sys.epollWait(epfd, array, maxEvents(array), timeoutMillis));
            } finally {
                release();
            }
        } finally {
            events.endWait();
        }
    }

    /**
     * Waits up to {@code timeout} for events, with sub-millisecond precision where the kernel
     * has {@code epoll_pwait2}; otherwise rounded up to whole milliseconds.
     * @return as {@link #wait(EventArray, int)}
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    public int wait(EventArray events, Duration timeout) throws NativeIOException {
        if (timeout.isNegative()) throw new IllegalArgumentException("negative timeout: " + timeout);
        long nanos;
        try {
            nanos = timeout.toNanos();
        } catch (ArithmeticException tooLong) {
            nanos = Long.MAX_VALUE;
        }
        return waitNanos(events, nanos);
    }

    /**
     * Waits up to {@code timeoutNanos} nanoseconds ({@code < 0}: forever). The allocation-free
     * form of {@link #wait(EventArray, Duration)}, for event loops.
     */
    public int waitNanos(EventArray events, long timeoutNanos) throws NativeIOException {
        if (timeoutNanos < 0) return wait(events, -1);
        if (!PWAIT2 || timeoutNanos % 1_000_000 == 0 || timeoutNanos >= Integer.MAX_VALUE * 1_000_000L) {
            long millis = (timeoutNanos + 999_999) / 1_000_000;  // round up: never 0 for > 0
            return wait(events, (int) Math.min(millis, Integer.MAX_VALUE));
        }
        MemorySegment array = events.beginWait();
        try {
            int epfd = acquire();
            try {
                return waitResult(Sys.epollPwait2(epfd, array, maxEvents(array), timeoutNanos));
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

    private static int waitResult(int r) throws NativeIOException {
        if (r >= 0) return r;
        if (r == -Errors.EINTR) return 0;
        throw Errors.exception("epoll_wait", r);
    }

    /** Proves the event layout and probes epoll_pwait2, once per JVM. */
    private static final class SelfTest {
        static final long TOKEN = 0x8123_4567_89AB_CDEFL;

        static boolean run() {
            int epfd = Sys.epollCreate1(Linux.EPOLL_CLOEXEC());
            int efd = Sys.eventfd(0, Linux.EFD_CLOEXEC() | Linux.EFD_NONBLOCK());
            try (Arena arena = Arena.ofConfined()) {
                if (epfd < 0 || efd < 0) {
                    throw new ExceptionInInitializerError("epoll self-test could not open descriptors: "
                            + Errors.name(-Math.min(epfd, efd)));
                }
                MemorySegment array = arena.allocate(EpollEventLayout.SIZE * 2, 8);
                if (Sys.epollCtl(epfd, CTL_ADD, efd, Linux.EPOLLIN(), TOKEN) < 0 || Sys.writeLong(efd, 1) < 0) {
                    throw new ExceptionInInitializerError("epoll self-test could not register an eventfd");
                }
                int n = Sys.epollWait(epfd, array, 2, 1000);
                long token = n == 1 ? EpollEventLayout.data(array, 0) : 0;
                int events = n == 1 ? EpollEventLayout.events(array, 0) : 0;
                if (n != 1 || token != TOKEN || events != Linux.EPOLLIN()) {
                    throw new ExceptionInInitializerError(String.format(
                            "epoll_event layout for os.arch=%s (%d bytes, data at %d) does not match the kernel:"
                                    + " wrote token %x, read %d event(s) with token %x and events %x",
                            System.getProperty("os.arch"), EpollEventLayout.SIZE, EpollEventLayout.DATA_OFFSET,
                            TOKEN, n, token, events));
                }
                return Sys.hasEpollPwait2() && Sys.epollPwait2(epfd, array, 2, 0) != -Errors.ENOSYS;
            } finally {
                if (efd >= 0) Sys.close(efd);
                if (epfd >= 0) Sys.close(epfd);
            }
        }
    }
}
