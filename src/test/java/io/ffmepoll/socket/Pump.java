package io.ffmepoll.socket;

import io.ffmepoll.epoll.Descriptor;
import io.ffmepoll.epoll.Epoll;
import io.ffmepoll.epoll.EventArray;
import io.ffmepoll.epoll.Interest;
import io.ffmepoll.epoll.NativeIOException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Drives two connected stream sockets with one edge-triggered epoll: each side sends
 * {@code bytes} of a position-dependent pattern and checks every byte it receives, draining
 * reads and writes to WOULD_BLOCK on each edge (the ET contract).
 */
final class Pump {

    /** How a side hands memory to the socket. */
    enum Style { SEGMENT, HEAP_ARRAY, HEAP_BUFFER, DIRECT_BUFFER, VECTOR }

    static final Interest ET_ALL = Interest.of(Interest.IN, Interest.OUT, Interest.RDHUP, Interest.ET);

    private Pump() {}

    /** The pattern byte at stream position {@code i}; not periodic in any buffer size used. */
    static byte at(long i) {
        return (byte) ((i * 2654435761L) >>> 13 ^ (i >>> 16));
    }

    static MemorySegment pattern(Arena arena, long bytes) {
        MemorySegment p = arena.allocate(bytes);
        for (long i = 0; i < bytes; i++) p.set(ValueLayout.JAVA_BYTE, i, at(i));
        return p;
    }

    static final class Side {
        final StreamSocket socket;
        final Style style;
        long sent;
        long received;
        final MemorySegment readBuffer;
        final byte[] heap;
        Side(StreamSocket socket, Style style, Arena arena) {
            this.socket = socket;
            this.style = style;
            this.readBuffer = arena.allocate(4093);
            this.heap = new byte[4093];
        }
    }

    /** Exchanges {@code bytes} in both directions at once; returns the number of epoll waits. */
    static int exchange(StreamSocket a, Style styleA, StreamSocket b, Style styleB, long bytes) throws Exception {
        try (Arena arena = Arena.ofConfined(); Epoll epoll = Epoll.open(); EventArray events = EventArray.allocate(8)) {
            MemorySegment pattern = pattern(arena, bytes);
            Side[] sides = {new Side(a, styleA, arena), new Side(b, styleB, arena)};
            epoll.add(a, ET_ALL, 0);
            epoll.add(b, ET_ALL, 1);
            long deadline = System.nanoTime() + 30_000_000_000L;
            int waits = 0;
            while (sides[0].received < bytes || sides[1].received < bytes) {
                if (System.nanoTime() > deadline) fail("transfer stalled: " + sides[0].received + "/" + sides[1].received);
                int n = epoll.wait(events, 1000);
                waits++;
                for (int i = 0; i < n; i++) {
                    Side s = sides[(int) events.token(i)];
                    drainReads(s, pattern, bytes);
                    drainWrites(s, pattern, bytes);
                }
            }
            assertEquals(bytes, sides[0].sent);
            assertEquals(bytes, sides[1].sent);
            return waits;
        }
    }

    private static void drainReads(Side s, MemorySegment pattern, long bytes) throws NativeIOException {
        for (;;) {
            int want = (int) Math.min(s.readBuffer.byteSize(), Math.max(1, bytes - s.received + 1));
            MemorySegment got;
            long n;
            switch (s.style) {
                case SEGMENT -> {
                    n = s.socket.read(s.readBuffer.asSlice(0, want));
                    got = s.readBuffer;
                }
                case HEAP_ARRAY -> {
                    n = s.socket.read(s.heap, 0, want);
                    got = MemorySegment.ofArray(s.heap);
                }
                case HEAP_BUFFER -> {
                    ByteBuffer bb = ByteBuffer.wrap(s.heap, 0, want);
                    n = s.socket.read(bb);
                    if (n > 0) assertEquals(n, bb.position());
                    got = MemorySegment.ofArray(s.heap);
                }
                case DIRECT_BUFFER -> {
                    ByteBuffer bb = s.readBuffer.asSlice(0, want).asByteBuffer();
                    n = s.socket.read(bb);
                    if (n > 0) assertEquals(n, bb.position());
                    got = s.readBuffer;
                }
                case VECTOR -> {
                    // Native, heap and native again: the scatter path must keep their order.
                    int h = Math.min(want, 1000);
                    MemorySegment[] parts = {s.readBuffer.asSlice(0, h / 2), MemorySegment.ofArray(s.heap).asSlice(0, h - h / 2),
                            s.readBuffer.asSlice(h / 2, want - h)};
                    n = s.socket.read(parts, 0, parts.length);
                    if (n > 0) {
                        MemorySegment joined = Arena.ofAuto().allocate(want);
                        MemorySegment.copy(parts[0], 0, joined, 0, parts[0].byteSize());
                        MemorySegment.copy(parts[1], 0, joined, parts[0].byteSize(), parts[1].byteSize());
                        MemorySegment.copy(parts[2], 0, joined, h, parts[2].byteSize());
                        got = joined;
                    } else {
                        got = null;
                    }
                }
                default -> throw new AssertionError();
            }
            if (n == Descriptor.WOULD_BLOCK) return;
            if (n == Descriptor.EOF) fail("unexpected EOF after " + s.received);
            assertTrue(n > 0, "read returned " + n);
            assertTrue(s.received + n <= bytes, "more bytes than sent");
            long mismatch = got.asSlice(0, n).mismatch(pattern.asSlice(s.received, n));
            if (mismatch >= 0) fail("byte " + (s.received + mismatch) + " differs (" + s.style + ")");
            s.received += n;
        }
    }

    private static void drainWrites(Side s, MemorySegment pattern, long bytes) throws NativeIOException {
        while (s.sent < bytes) {
            // Odd chunk sizes so writes end mid-buffer and partial writes are common.
            int chunk = (int) Math.min(bytes - s.sent, 70_001);
            MemorySegment src = pattern.asSlice(s.sent, chunk);
            long n;
            switch (s.style) {
                case SEGMENT -> n = s.socket.write(src);
                case HEAP_ARRAY -> n = s.socket.write(src.toArray(ValueLayout.JAVA_BYTE), 0, chunk);
                case HEAP_BUFFER -> {
                    ByteBuffer bb = ByteBuffer.wrap(src.toArray(ValueLayout.JAVA_BYTE));
                    n = s.socket.write(bb);
                    if (n > 0) assertEquals(n, bb.position());
                }
                case DIRECT_BUFFER -> {
                    ByteBuffer bb = src.asByteBuffer();
                    n = s.socket.write(bb);
                    if (n > 0) assertEquals(n, bb.position());
                }
                case VECTOR -> {
                    int third = chunk / 3;
                    MemorySegment[] parts = {src.asSlice(0, third),
                            MemorySegment.ofArray(src.asSlice(third, third).toArray(ValueLayout.JAVA_BYTE)),
                            src.asSlice(2L * third)};
                    n = s.socket.write(parts, 0, parts.length);
                }
                default -> throw new AssertionError();
            }
            if (n == Descriptor.WOULD_BLOCK) return;
            assertTrue(n > 0, "write returned " + n);
            s.sent += n;
        }
    }
}
