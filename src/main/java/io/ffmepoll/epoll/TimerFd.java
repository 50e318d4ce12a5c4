package io.ffmepoll.epoll;

import io.ffmepoll.internal.gen.Linux;
import io.ffmepoll.internal.sys.Sys;

import java.time.Duration;

/**
 * A timer that makes its descriptor readable when it expires, on {@code CLOCK_MONOTONIC}: the
 * clock of {@link System#nanoTime()} on Linux. Opened with {@code TFD_NONBLOCK | TFD_CLOEXEC}.
 * {@snippet :
 * try (TimerFd timer = TimerFd.open()) {
 *     timer.schedule(Duration.ofNanos(300_000), Duration.ZERO);   // once, in 0.3 ms
 *     // ... epoll reports IN when it fires; then:
 *     long expirations = timer.read();                           // 0 if not yet
 * }
 * }
 */
public final class TimerFd extends Descriptor {

    private TimerFd(int fd) {
        super(fd);
    }

    /**
     * A disarmed timer.
     * @return a new timer on {@code CLOCK_MONOTONIC}, non-blocking and close-on-exec
     * @throws NativeIOException EMFILE or ENFILE when out of descriptors
     */
    public static TimerFd open() throws NativeIOException {
        int flags = Linux.TFD_NONBLOCK() | Linux.TFD_CLOEXEC();
        return new TimerFd(Errors.check("timerfd_create", Sys.timerfdCreate(Linux.CLOCK_MONOTONIC(), flags)));
    }

    /**
     * Fires after {@code delay}, then every {@code period} unless it is zero. Durations beyond
     * {@code Long.MAX_VALUE} nanoseconds (about 292 years, {@code ChronoUnit.FOREVER} included)
     * are clamped to it: such a timer never fires in practice. Thread-safe.
     * @param delay the time to the first expiration
     * @param period the time between later expirations; {@link Duration#ZERO} fires once
     * @throws IllegalArgumentException if {@code delay} is not positive or {@code period} is negative
     * @throws NativeIOException if {@code timerfd_settime} fails
     */
    public void schedule(Duration delay, Duration period) throws NativeIOException {
        if (delay.isNegative() || delay.isZero()) throw new IllegalArgumentException("delay must be positive: " + delay);
        if (period.isNegative()) throw new IllegalArgumentException("negative period: " + period);
        settime(0, Nanos.saturated(delay), Nanos.saturated(period));
    }

    /**
     * Fires once when {@link System#nanoTime()} reaches {@code deadline}; at once if it has.
     * Allocation-free, for event loops.
     * @param deadline a {@link System#nanoTime()} value
     * @throws NativeIOException if {@code timerfd_settime} fails
     */
    public void scheduleAt(long deadline) throws NativeIOException {
        // An absolute it_value of 0 would disarm: a deadline at or before 0 becomes 1 ns.
        settime(Linux.TFD_TIMER_ABSTIME(), Math.max(1, deadline), 0);
    }

    /**
     * Disarms the timer.
     * @throws NativeIOException if {@code timerfd_settime} fails
     */
    public void cancel() throws NativeIOException {
        settime(0, 0, 0);
    }

    private void settime(int flags, long valueNanos, long intervalNanos) throws NativeIOException {
        int fd = acquire();
        try {
            Errors.check("timerfd_settime", Sys.timerfdSettime(fd, flags, valueNanos, intervalNanos));
        } finally {
            release();
        }
    }

    /**
     * The number of expirations since the last read; 0 if none.
     * @return the expirations counted, 0 when none (the read would block)
     * @throws NativeIOException if the read fails
     */
    public long read() throws NativeIOException {
        return readCounter("read(timerfd)");
    }
}
