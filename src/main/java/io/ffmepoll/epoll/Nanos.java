package io.ffmepoll.epoll;

import java.time.Duration;

/** Durations as nanosecond counts for the kernel's timespecs. */
final class Nanos {

    private Nanos() {}

    /**
     * {@code d} in nanoseconds, or {@code Long.MAX_VALUE} (about 292 years) for a duration
     * too long for a long, such as {@code ChronoUnit.FOREVER.getDuration()}; {@code d} is not
     * negative.
     */
    static long saturated(Duration d) {
        return d.getSeconds() >= Long.MAX_VALUE / 1_000_000_000L ? Long.MAX_VALUE
                : d.getSeconds() * 1_000_000_000L + d.getNano();
    }
}
