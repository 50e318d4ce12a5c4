package io.ffmepoll.bench.soak;

import java.util.function.ToLongFunction;

/**
 * What a soak run watches for growth, and how much growth a healthy server is allowed (see
 * {@link Trend} for the rule). The slack was set from runs of the unchanged servers on a busy
 * 2-core machine, with room to spare; a leak of a descriptor or a few KiB per connection
 * passes it within a minute.
 */
enum Metric {
    /** Open descriptors: any sustained growth beyond the few connections in flight at a sample. */
    FDS("fds", "", 1, 4, 0, Sample::fds),
    /** Threads: the loops are fixed; JIT compiler threads come and go. */
    THREADS("threads", "", 1, 2, 0, Sample::threads),
    /** Resident set, from /proc/pid/status. */
    RSS("rss", "MiB", Metric.MIB, 32 * Metric.MIB, 0.10, Sample::rss),
    /**
     * Java heap in use right after a full GC ({@code GC.run}, then {@code GC.heap_info}). The UDP
     * server shows a 1.9 MiB step in about a quarter of its samples (no trend): the slack covers it.
     */
    HEAP("heap", "MiB", Metric.MIB, 3 * Metric.MIB, 0.10, Sample::heap),
    /** NMT committed total minus the Java heap: metaspace, code, threads, GC, malloc. */
    NATIVE("native", "MiB", Metric.MIB, 16 * Metric.MIB, 0.10, Sample::nativeBytes),
    /** NMT's "Other": memory from Unsafe.allocateMemory, so FFM arenas and direct buffers. */
    OTHER("nmt-other", "MiB", Metric.MIB, 4 * Metric.MIB, 0.10, Sample::other);

    static final double MIB = 1024 * 1024;

    final String label;
    final String unit;
    final double scale;
    final double absoluteSlack;
    final double relativeSlack;
    final ToLongFunction<Sample> value;

    Metric(String label, String unit, double scale, double absoluteSlack, double relativeSlack, ToLongFunction<Sample> value) {
        this.label = label;
        this.unit = unit;
        this.scale = scale;
        this.absoluteSlack = absoluteSlack;
        this.relativeSlack = relativeSlack;
        this.value = value;
    }

    /** The trend of this metric over {@code samples} (already limited to the traffic phase). */
    Trend trend(java.util.List<Sample> samples) {
        return Trend.of(samples.stream().mapToDouble(s -> value.applyAsLong(s)).toArray(), absoluteSlack, relativeSlack);
    }
}
