package io.ffmepoll.internal.sys;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/**
 * The one definition of {@code struct epoll_event}'s layout.
 * <pre>
 * struct epoll_event {
 *     uint32_t     events;
 *     epoll_data_t data;    // union { void *ptr; int fd; uint32_t u32; uint64_t u64; }
 * } __EPOLL_PACKED;         // packed on x86-64 only
 * </pre>
 * glibc packs the struct on x86-64 (12 bytes, {@code data} at offset 4) so that 32- and 64-bit
 * processes share one ABI; aarch64 uses natural alignment (16 bytes, {@code data} at offset 8).
 * The layout is the one jextract generated from this architecture's own headers
 * ({@link Arch#epollEvent()}), and {@code Epoll} proves it against the running kernel with a
 * round trip at start-up.
 */
public final class EpollEventLayout {

    /** The struct, as this architecture's headers declare it. */
    public static final GroupLayout LAYOUT = Arch.current().epollEvent();
    /** Bytes per event. */
    public static final long SIZE = LAYOUT.byteSize();
    /** Offset of {@code events}. */
    public static final long EVENTS_OFFSET = LAYOUT.byteOffset(groupElement("events"));
    /** Offset of {@code data.u64}. */
    public static final long DATA_OFFSET = LAYOUT.byteOffset(groupElement("data"));
    /** {@code data.u64}, unaligned so one access works packed (x86-64) and aligned. */
    public static final ValueLayout.OfLong DATA = ValueLayout.JAVA_LONG_UNALIGNED;

    private EpollEventLayout() {}

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
