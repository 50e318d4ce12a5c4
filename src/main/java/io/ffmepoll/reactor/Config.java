package io.ffmepoll.reactor;

/**
 * The settings a {@link Reactor.Builder} collects, validated once.
 * @param loops event-loop threads
 * @param readBufferSize bytes one read may return (the loop's read buffer)
 * @param readBudget bytes one connection may read per wake before others get a turn
 * @param highWatermark queued output above which a connection reports not writable
 * @param lowWatermark queued output at or below which it reports writable again (0: once empty)
 * @param maxQueuedBytes queued output at which a write fails: the hard bound on memory
 * @param writeChunkSize size of the pooled native chunks that hold queued output
 * @param idleTimeoutNanos close connections idle this long; 0: never
 * @param lingerNanos how long a closing connection drains unread input before closing
 * @param acceptBackoffNanos pause before retrying accept when out of descriptors
 * @param backlog listen backlog
 * @param threadName thread-name prefix
 * @param tcpNoDelay whether accepted TCP connections get {@code TCP_NODELAY}
 * @param closeFlushTimeoutNanos how long a {@link Connection#close()} waits for queued output to
 *        flush before the connection is reset
 * @param readIdleTimeoutNanos default {@link Idle#READ} timeout of each connection; 0: none
 * @param writeIdleTimeoutNanos default {@link Idle#WRITE} timeout of each connection; 0: none
 */
record Config(int loops, int readBufferSize, int readBudget, int highWatermark, int lowWatermark,
              long maxQueuedBytes, int writeChunkSize, long idleTimeoutNanos, long lingerNanos,
              long acceptBackoffNanos, int backlog, String threadName, boolean tcpNoDelay,
              long closeFlushTimeoutNanos, long readIdleTimeoutNanos, long writeIdleTimeoutNanos) {

    /** {@code d} in nanoseconds, at most about 146 years: a deadline {@code now + d} cannot overflow. */
    static long saturatedNanos(java.time.Duration d) {
        return io.ffmepoll.internal.sys.Durations.saturatedNanos(d);
    }

    Config {
        if (loops < 1 || loops > 1024) throw new IllegalArgumentException("loops must be 1..1024: " + loops);
        if (readBufferSize < 256) throw new IllegalArgumentException("read buffer below 256 bytes: " + readBufferSize);
        if (readBudget < readBufferSize) {
            throw new IllegalArgumentException("read budget " + readBudget + " below read buffer " + readBufferSize);
        }
        if (lowWatermark < 0 || highWatermark <= lowWatermark) {
            throw new IllegalArgumentException("need 0 <= lowWatermark < highWatermark: " + lowWatermark + ", " + highWatermark);
        }
        if (maxQueuedBytes < highWatermark) {
            throw new IllegalArgumentException("maxQueuedBytes " + maxQueuedBytes + " below high watermark " + highWatermark);
        }
        if (writeChunkSize < 256) throw new IllegalArgumentException("write chunk below 256 bytes: " + writeChunkSize);
        if (idleTimeoutNanos < 0 || lingerNanos < 0 || acceptBackoffNanos <= 0 || readIdleTimeoutNanos < 0
                || writeIdleTimeoutNanos < 0) {
            throw new IllegalArgumentException("negative duration");
        }
        if (backlog < 1) throw new IllegalArgumentException("backlog must be positive: " + backlog);
        if (closeFlushTimeoutNanos <= 0) {
            throw new IllegalArgumentException("close flush timeout must be positive: " + closeFlushTimeoutNanos + " ns");
        }
    }
}
