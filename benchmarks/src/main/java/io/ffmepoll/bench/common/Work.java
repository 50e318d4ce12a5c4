package io.ffmepoll.bench.common;

import java.util.concurrent.locks.LockSupport;

/**
 * Simulated per-request work for the echo servers ({@code --work}): {@code none} (default),
 * {@code cpu:N} (N µs of busy computation on the serving thread) or {@code sleep:N} (a blocking
 * call of N µs, as a JDBC round trip would be), once per 64-byte message (the size of the work
 * scenarios' messages), one after the other, before the echo is written, on the thread that
 * serves the connection: that is what tells a per-loop server from a shared worker pool. Counted
 * per message, not per read: a server that falls behind reads several messages at once and must
 * not do the work of one for all of them.
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

    /** The size of one message of the work scenarios. */
    public static final int MESSAGE = 64;

    /** Does the work of the messages in {@code bytes} echo bytes (at least one). */
    public static void perBytes(long bytes) {
        if (kind == 0) return;
        for (long k = Math.max(1, bytes / MESSAGE); k > 0; k--) perRequest();
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
