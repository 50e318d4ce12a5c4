package io.ffmepoll.internal.sys;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** The per-arch epoll_event layout (NuProcess #79 shipped a packed layout where it is not). */
class EpollEventLayoutTest {

    @Test
    void onlyX86_64IsPacked() {
        GroupLayout x86 = Arch.X86_64.epollEvent();
        assertEquals(12, x86.byteSize());
        assertEquals(4, x86.byteOffset(groupElement("data")));
        GroupLayout arm = Arch.AARCH64.epollEvent();
        assertEquals(16, arm.byteSize());
        assertEquals(8, arm.byteOffset(groupElement("data")));
    }

    @Test
    void layoutIsThisArchitecturesGeneratedOne() {
        assertSame(Arch.current().epollEvent(), EpollEventLayout.LAYOUT);
        assertEquals(EpollEventLayout.LAYOUT.byteSize(), EpollEventLayout.SIZE);
        assertEquals(EpollEventLayout.LAYOUT.byteOffset(groupElement("data")), EpollEventLayout.DATA_OFFSET);
    }

    @Test
    void setAndGetAgreeWithTheGeneratedLayout() {
        VarHandle events = EpollEventLayout.LAYOUT.varHandle(groupElement("events"));
        VarHandle u64 = EpollEventLayout.LAYOUT.varHandle(groupElement("data"), groupElement("u64"));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment array = arena.allocate(EpollEventLayout.SIZE * 3, 8);
            EpollEventLayout.set(array, 1, 0x2001, 0xFEDC_BA98_7654_3210L);
            MemorySegment second = array.asSlice(EpollEventLayout.SIZE, EpollEventLayout.LAYOUT);
            assertEquals(0x2001, (int) events.get(second, 0L));
            assertEquals(0xFEDC_BA98_7654_3210L, (long) u64.get(second, 0L));
            assertEquals(0x2001, EpollEventLayout.events(array, 1));
            assertEquals(0xFEDC_BA98_7654_3210L, EpollEventLayout.data(array, 1));
        }
    }
}
