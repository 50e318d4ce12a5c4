package io.ffmepoll.internal.sys;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

/**
 * The one definition of {@code struct epoll_event}'s layout.
 * <pre>
 * struct epoll_event {
 *     uint32_t     events;
 *     epoll_data_t data;    // union { void *ptr; int fd; uint32_t u32; uint64_t u64; }
 * } __EPOLL_PACKED;         // packed on x86-64 only
 * </pre>
 * glibc packs the struct on x86-64 (12 bytes, {@code data} at offset 4) so that 32- and 64-bit
 * processes share one ABI; every other 64-bit architecture uses natural alignment (16 bytes,
 * {@code data} at offset 8). jextract generated the bindings on one machine, so its
 * {@code epoll_event} layout is that machine's; this class chooses by {@code os.arch} instead,
 * and {@code Epoll} proves the choice against the running kernel with a round trip at start-up.
 */
public final class EpollEventLayout {

    /** True where glibc declares the struct packed. */
    public static final boolean PACKED = isPacked(System.getProperty("os.arch"));
    /** Bytes per event. */
    public static final long SIZE = PACKED ? 12 : 16;
    /** Offset of {@code events}. */
    public static final long EVENTS_OFFSET = 0;
    /** Offset of {@code data.u64}. */
    public static final long DATA_OFFSET = PACKED ? 4 : 8;
    /** {@code data.u64} as the arch places it (unaligned on x86-64). */
    public static final ValueLayout.OfLong DATA = ValueLayout.JAVA_LONG_UNALIGNED;
    /** The struct, for documentation and for sizing arrays. */
    public static final StructLayout LAYOUT = PACKED
            ? MemoryLayout.structLayout(ValueLayout.JAVA_INT.withName("events"),
                    ValueLayout.JAVA_LONG_UNALIGNED.withName("data")).withName("epoll_event")
            : MemoryLayout.structLayout(ValueLayout.JAVA_INT.withName("events"),
                    MemoryLayout.paddingLayout(4),
                    ValueLayout.JAVA_LONG.withName("data")).withName("epoll_event");

    private EpollEventLayout() {}

    static boolean isPacked(String arch) {
        return arch.equals("amd64") || arch.equals("x86_64");
    }

    /** Writes one event at {@code index} of {@code array}. */
    public static void set(MemorySegment array, long index, int events, long data) {
        long base = index * SIZE;
        array.set(ValueLayout.JAVA_INT_UNALIGNED, base + EVENTS_OFFSET, events);
        array.set(DATA, base + DATA_OFFSET, data);
    }

    /** The {@code events} word of the event at {@code index}. */
    public static int events(MemorySegment array, long index) {
        return array.get(ValueLayout.JAVA_INT_UNALIGNED, index * SIZE + EVENTS_OFFSET);
    }

    /** The {@code data.u64} word of the event at {@code index}. */
    public static long data(MemorySegment array, long index) {
        return array.get(DATA, index * SIZE + DATA_OFFSET);
    }
}
