package io.ffmepoll.epoll;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A pipe moves bytes through the same descriptor I/O as sockets: checks, staging and results. */
class PipeTest {

    @Test
    void readIntoAReadOnlySegmentThrowsInsteadOfWritingIt() throws Exception {
        try (Pipe pipe = Pipe.open(); Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(3);
            src.copyFrom(MemorySegment.ofArray(new byte[] {1, 2, 3}));
            assertEquals(3, pipe.sink().write(src));
            MemorySegment readOnly = arena.allocate(8).asReadOnly();
            assertThrows(IllegalArgumentException.class, () -> pipe.source().read(readOnly));
            assertEquals(0, readOnly.get(ValueLayout.JAVA_BYTE, 0), "the read-only memory is untouched");
            MemorySegment dst = arena.allocate(8);
            assertEquals(3, pipe.source().read(dst), "the bytes are still in the pipe");
        }
    }

    @Test
    void wholeByteArraysGoThroughAPipe() throws Exception {
        try (Pipe pipe = Pipe.open()) {
            assertEquals(3, pipe.sink().write(new byte[] {7, 8, 9}));
            byte[] in = new byte[8];
            assertEquals(3, pipe.source().read(in));
            assertArrayEquals(new byte[] {7, 8, 9, 0, 0, 0, 0, 0}, in);
        }
    }

    @Test
    void heapSegmentsThroughAPipeAreStagedLikeSockets() throws Exception {
        try (Pipe pipe = Pipe.open()) {
            byte[] out = new byte[100_000];
            for (int i = 0; i < out.length; i++) out[i] = (byte) (i * 31);
            // A pipe holds 64 KiB by default: the first write is short, never an error.
            int first = pipe.sink().write(MemorySegment.ofArray(out));
            assertEquals(65_536, first);
            byte[] in = new byte[out.length];
            assertEquals(first, pipe.source().read(MemorySegment.ofArray(in)));
            int rest = pipe.sink().write(MemorySegment.ofArray(out).asSlice(first));
            assertEquals(out.length - first, rest);
            assertEquals(rest, pipe.source().read(MemorySegment.ofArray(in).asSlice(first)));
            assertArrayEquals(out, in);
        }
    }
    @Test
    void pipeEndsTakeByteArraysAndBuffersLikeSockets() throws Exception {
        try (Pipe pipe = Pipe.open()) {
            assertEquals(3, pipe.sink().write(new byte[] {0, 1, 2, 3}, 1, 3));
            ByteBuffer heap = ByteBuffer.allocate(2);
            assertEquals(2, pipe.source().read(heap));
            assertEquals(2, heap.position(), "the buffer's position advanced");
            ByteBuffer direct = ByteBuffer.allocateDirect(4).put((byte) 7).flip();
            assertEquals(1, pipe.sink().write(direct));
            assertEquals(1, direct.position());
            byte[] in = new byte[4];
            assertEquals(2, pipe.source().read(in, 1, 3));
            assertArrayEquals(new byte[] {0, 3, 7, 0}, in);
            assertThrows(IllegalArgumentException.class,
                    () -> pipe.source().read(ByteBuffer.allocateDirect(4).asReadOnlyBuffer()));
            assertEquals(Descriptor.WOULD_BLOCK, pipe.source().read(in, 0, 4));
            pipe.sink().close();
            assertEquals(Descriptor.EOF, pipe.source().read(in, 0, 4));
        }
    }
}
