package io.ffmepoll.internal.sys;

import java.time.Duration;

/**
 * Durations as nanosecond delays that a deadline can be computed from: the one place where a
 * {@link Duration} too long for {@link Duration#toNanos()} (such as
 * {@code ChronoUnit.FOREVER.getDuration()}) becomes "as long as possible" instead of an
 * {@link ArithmeticException}.
 */
public final class Durations {

    /** The longest delay, about 146 years: {@code System.nanoTime() + delay} cannot overflow. */
    public static final long MAX_DELAY_NANOS = Long.MAX_VALUE / 2;
    private static final Duration MAX_DELAY = Duration.ofNanos(MAX_DELAY_NANOS);

    private Durations() {}

    /**
     * {@code d} in nanoseconds, at most {@link #MAX_DELAY_NANOS}; {@code d} is not negative.
     * @param d a duration, possibly longer than a long of nanoseconds
     * @return its nanoseconds, saturated
     */
    public static long saturatedNanos(Duration d) {
        return d.compareTo(MAX_DELAY) > 0 ? MAX_DELAY_NANOS : d.toNanos();
    }
}
