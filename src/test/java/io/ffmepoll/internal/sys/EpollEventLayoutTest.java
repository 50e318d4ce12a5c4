package io.ffmepoll.internal.sys;

import io.ffmepoll.internal.gen.epoll_event;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-arch epoll_event layout (NuProcess #79 shipped a packed layout where it is not). */
class EpollEventLayoutTest {

    @Test
    void onlyX86_64IsPacked() {
        assertTrue(EpollEventLayout.isPacked("amd64"));
        assertTrue(EpollEventLayout.isPacked("x86_64"));
        assertFalse(EpollEventLayout.isPacked("aarch64"));
        assertFalse(EpollEventLayout.isPacked("riscv64"));
        assertFalse(EpollEventLayout.isPacked("ppc64le"));
    }

    @Test
    void layoutMatchesTheHeaderOnThisMachine() {
        // jextract read this machine's sys/epoll.h; the hand-chosen layout must agree with it here.
        assertEquals(epoll_event.layout().byteSize(), EpollEventLayout.SIZE);
        assertEquals(epoll_event.layout().byteSize(), EpollEventLayout.LAYOUT.byteSize());
        assertEquals(epoll_event.layout().byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement("data")),
                EpollEventLayout.DATA_OFFSET);
    }

    @Test
    void setAndGetAgreeWithTheGeneratedAccessors() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment array = arena.allocate(EpollEventLayout.SIZE * 3, 8);
            EpollEventLayout.set(array, 1, 0x2001, 0xFEDC_BA98_7654_3210L);
            MemorySegment second = epoll_event.asSlice(array, 1);
            assertEquals(0x2001, epoll_event.events(second));
            assertEquals(0xFEDC_BA98_7654_3210L, io.ffmepoll.internal.gen.epoll_data.u64(epoll_event.data(second)));
            assertEquals(0x2001, EpollEventLayout.events(array, 1));
            assertEquals(0xFEDC_BA98_7654_3210L, EpollEventLayout.data(array, 1));
        }
    }
}
