package io.ffmepoll.bench.common;

import java.util.concurrent.locks.LockSupport;

/**
 * Simulated per-request work for the echo servers ({@code --work}): {@code none} (default),
 * {@code cpu:N} (N µs of busy computation on the serving thread) or {@code sleep:N} (a blocking
 * call of N µs, as a JDBC round trip would be). Done once per read that carries a message (one
 * message per read at depth 1), before the echo is written, on the thread that serves the
 * connection: that is what tells a per-loop server from a shared worker pool.
 */
public final class Work {

    private static int kind;          // 0 none, 1 cpu, 2 sleep
    private static long nanos;
    /** Keeps the busy loop from being optimised away. */
    public static volatile long sink;

    private Work() {}

    /** Parses {@code none}, {@code cpu:N} or {@code sleep:N} (N in µs). Call once at start-up. */
    public static void configure(String spec) {
        if (spec == null || spec.equals("none")) return;
        String[] p = spec.split(":");
        if (p.length != 2) throw new IllegalArgumentException("--work none|cpu:MICROS|sleep:MICROS, not " + spec);
        nanos = Long.parseLong(p[1]) * 1000;
        kind = switch (p[0]) {
            case "cpu" -> 1;
            case "sleep" -> 2;
            default -> throw new IllegalArgumentException("--work none|cpu:MICROS|sleep:MICROS, not " + spec);
        };
    }

    /** Whether any work is configured. */
    public static boolean any() {
        return kind != 0;
    }

    /** Does one request's work. */
    public static void perRequest() {
        if (kind == 1) {
            long end = System.nanoTime() + nanos;
            long x = sink;
            while (System.nanoTime() < end) x = x * 6364136223846793005L + 1442695040888963407L;
            sink = x;
        } else if (kind == 2) {
            long end = System.nanoTime() + nanos;
            for (long left = nanos; left > 0; left = end - System.nanoTime()) LockSupport.parkNanos(left);
        }
    }
}
