package io.ffmepoll.reactor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;

/**
 * Fixed-size native chunks for queued output, recycled per loop.
 * <p>Each chunk has its own confined arena so it can be freed alone: the pool keeps at most
 * {@code maxPooled} idle chunks and frees the rest, so a burst of slow readers does not pin its
 * peak memory forever. Loop thread only.
 */
final class BufferPool implements AutoCloseable {

    /** A chunk: bytes {@code [start, end)} of {@code segment} are queued output. */
    static final class Chunk {
        final Arena arena;
        final MemorySegment segment;
        int start;
        int end;

        Chunk(Arena arena, MemorySegment segment) {
            this.arena = arena;
            this.segment = segment;
        }

        int readable() {
            return end - start;
        }

        int writable() {
            return (int) segment.byteSize() - end;
        }
    }

    private final int chunkSize;
    private final int maxPooled;
    private final ArrayDeque<Chunk> idle = new ArrayDeque<>();
    private long allocated;   // chunks alive, pooled or in use

    BufferPool(int chunkSize, int maxPooled) {
        this.chunkSize = chunkSize;
        this.maxPooled = maxPooled;
    }

    int chunkSize() {
        return chunkSize;
    }

    Chunk take() {
        Chunk c = idle.poll();
        if (c == null) {
            Arena a = Arena.ofConfined();
            c = new Chunk(a, a.allocate(chunkSize, 64));
            allocated++;
        }
        c.start = 0;
        c.end = 0;
        return c;
    }

    void give(Chunk c) {
        if (idle.size() < maxPooled) {
            idle.push(c);   // LIFO: the most recently used chunk is likely still in cache
        } else {
            c.arena.close();
            allocated--;
        }
    }

    /** Chunks currently allocated (in use or idle). */
    long allocated() {
        return allocated;
    }

    @Override
    public void close() {
        Chunk c;
        while ((c = idle.poll()) != null) {
            c.arena.close();
            allocated--;
        }
    }
}
