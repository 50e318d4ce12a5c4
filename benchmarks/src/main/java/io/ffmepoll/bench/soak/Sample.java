package io.ffmepoll.bench.soak;

/**
 * One server measured once from outside its process; -1 for what could not be read.
 *
 * @param server the server's name (echo, http, unix, udp)
 * @param seconds since the traffic started (negative before)
 * @param phase {@code idle} before the traffic, {@code traffic}, {@code after} once it stopped
 * @param fds entries in /proc/pid/fd
 * @param threads the {@code Threads:} line of /proc/pid/status
 * @param rss bytes, {@code VmRSS:}
 * @param heap Java heap bytes in use after a full GC
 * @param nativeBytes NMT's committed total minus the Java heap's committed bytes
 * @param other NMT's "Other" committed bytes (Unsafe.allocateMemory: FFM arenas, direct buffers)
 * @param accepted the loops' accepted connections (sum over loops), from their latest counter dump
 * @param open connections open in the loops
 * @param acceptErrors failed accepts
 * @param handlerFailures connections closed because a handler threw
 */
record Sample(String server, double seconds, String phase, long fds, long threads, long rss, long heap,
              long nativeBytes, long other, long accepted, long open, long acceptErrors, long handlerFailures) {
}
