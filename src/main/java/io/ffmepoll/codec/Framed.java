package io.ffmepoll.codec;

import io.ffmepoll.reactor.Connection;
import io.ffmepoll.reactor.Handler;
import io.ffmepoll.socket.ReceivedDescriptor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Objects;

/**
 * A {@link Handler} that cuts a connection's input into frames with a {@link FrameDecoder}
 * and hands each whole frame to a {@link FrameHandler}: the input accumulator for protocols
 * whose messages arrive split over reads, or several to a read.
 * <p><b>Copies.</b> A frame that arrives whole in one read is handed over as a slice of the
 * loop's read buffer, with no copy; when the frame is the whole read and nothing is stripped,
 * as that read buffer itself, with no allocation either (measured: 0 bytes per frame for the
 * line echo with line ends kept). A stripped header or delimiter, or a frame that shares its
 * read with others, costs one 40-byte segment view per frame, unless the JIT removes it.
 * Only the bytes of a frame that a read
 * leaves incomplete are copied, once, into a per-connection native buffer that grows up to the
 * decoder's {@linkplain FrameDecoder#maxFrameLength() maximum}; the next reads complete it there.
 * A frame longer than the maximum closes the connection with a {@link FrameTooLongException},
 * and an end of input inside a frame with a {@link TruncatedFrameException}, both given to
 * {@link Handler#onClose}.
 * <p><b>Threads.</b> One {@code Framed} per connection (make it in the supplier given to
 * {@code listen}): it holds that connection's partial frame. Its callbacks run on the
 * connection's loop thread, as every handler's; {@link #resumeReading} too.
 * <p><b>Pausing.</b> Frames are delivered while the connection {@linkplain Connection#isReading()
 * reads}. After {@link Connection#pauseReading()} (or {@code close()}) in {@code onFrame}, the
 * frames left in the same read wait here, at most one read's worth; resume with
 * {@link #resumeReading(Connection)}, which delivers them first. A plain
 * {@link Connection#resumeReading()} from {@code onWritabilityChanged} works as well; from
 * anywhere else the waiting frames come only with the next input.
 * {@snippet :
 * // A length-prefixed protocol: [4-byte big-endian length][payload]; answers each payload's size.
 * reactor.listen(new InetSocketAddress("127.0.0.1", 7001), () -> new Framed(
 *         FrameDecoder.lengthField(4, 1 << 20).withStrip(4),
 *         (c, payload) -> {
 *             MemorySegment reply = Arena.ofAuto().allocate(8);   // illustrative: allocate once in real code
 *             reply.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 0, 4);
 *             reply.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 4, (int) payload.byteSize());
 *             c.write(reply);
 *         }));
 * }
 */
public final class Framed implements Handler {

    /** First capacity of the buffer for a partial frame; it doubles up to the maximum. */
    private static final long MIN_CAPACITY = 256;
    /** A buffer emptied at this size or less is kept for the next partial frame; a larger one is freed. */
    private static final long KEEP_CAPACITY = 16 * 1024;
    /** First step when a partial frame of unknown length is completed from a read (it doubles). */
    private static final long MIN_STEP = 256;

    private final FrameDecoder decoder;
    private final FrameHandler handler;
    private final long max;
    private Connection connection;

    // Bytes read and not yet delivered, at [head, tail) of buffer: a partial frame, or after a
    // pause the frames of that read still to deliver. Native, confined to the loop thread.
    private Arena arena;
    private MemorySegment buffer;
    private long head, tail;
    /** For the frame at head: bytes it needs at least (0: unknown) and bytes the decoder has seen. */
    private long needed, scanned;
    /** onFrame is running: a callback that would deliver (a write's writability change) must not nest. */
    private boolean delivering;
    /** The end of input came while frames were waiting: reported once they are delivered. */
    private boolean inputEnded;
    /** Why this closed the connection: {@link Handler#onClose} reports it. */
    private Throwable failure;
    private boolean closed;

    /**
     * Serves one connection: {@code decoder} cuts its input into frames for {@code handler}.
     * Any thread; each instance is then used by the connection's loop only.
     * @param decoder finds where each frame ends and what of it to strip; may be shared by
     *        every connection
     * @param handler receives each whole frame and every other callback of the connection
     * @throws NullPointerException if either is null
     * @throws IllegalArgumentException if {@code decoder}'s {@linkplain FrameDecoder#maxFrameLength()
     *         maximum frame length} is not positive
     */
    public Framed(FrameDecoder decoder, FrameHandler handler) {
        this.decoder = Objects.requireNonNull(decoder, "decoder");
        this.handler = Objects.requireNonNull(handler, "handler");
        this.max = decoder.maxFrameLength();
        if (max < 1) throw new IllegalArgumentException("maxFrameLength must be positive: " + max + " (" + decoder + ")");
    }

    /**
     * The handler frames go to. Any thread.
     * @return the handler given to the constructor
     */
    public FrameHandler handler() {
        return handler;
    }

    /**
     * The decoder that cuts this connection's input into frames. Any thread.
     * @return the decoder given to the constructor
     */
    public FrameDecoder decoder() {
        return decoder;
    }

    /**
     * Bytes read and not yet delivered as frames: a partial frame, or frames waiting for a
     * resume. Loop thread.
     * @return the bytes this holds for the connection now, 0 once it is closed
     */
    public long bufferedBytes() {
        return closed ? 0 : tail - head;
    }

    /**
     * Resumes reading on {@code c} and first delivers the frames that were left waiting when it
     * paused. For a connection not served by a {@code Framed}, the same as
     * {@link Connection#resumeReading()}. Loop thread only (in a callback, or a task given to
     * {@code c.loop().execute}).
     * <p>If a waiting frame is rejected by the decoder, the connection closes as it would in
     * {@code onRead}; if the handler throws, the connection is reset. Either way
     * {@link Handler#onClose} receives the exception as its cause.
     * {@snippet :
     * c.pauseReading();                                   // one request at a time
     * workers.submit(() -> {
     *     byte[] reply = compute(request);
     *     c.loop().execute(() -> {
     *         c.write(reply);
     *         Framed.resumeReading(c);                    // the next request, if it already came
     *     });
     * });
     * }
     * @param c the connection to resume, served by a {@code Framed} or by any other handler
     * @throws IllegalStateException if not called on {@code c}'s loop thread
     */
    public static void resumeReading(Connection c) {
        c.resumeReading();
        if (c.handler() instanceof Framed f && f.connection == c && !f.delivering && !f.closed) {
            try {
                f.deliverWaiting(c);
            } catch (FrameException e) {
                f.failed(c, e);
            } catch (RuntimeException | Error e) {
                // Outside a reactor callback nobody else would close it: do what the reactor does
                // with a handler that throws.
                f.failure = e;
                c.abort();
            }
        }
    }

    @Override
    public void onOpen(Connection c) {
        if (connection != null && connection != c) {
            throw new IllegalStateException("a Framed serves one connection (it holds that connection's partial frame): "
                    + "make a new one per connection in the listen supplier");
        }
        connection = c;
        handler.onOpen(c);
    }

    @Override
    public void onRead(Connection c, MemorySegment data) {
        try {
            read(c, data);
        } catch (FrameException e) {
            failed(c, e);
        }
    }

    private void read(Connection c, MemorySegment data) throws FrameException {
        long n = data.byteSize();
        long off = 0;
        if (tail > head) {
            off = completeWaiting(c, data);
            if (tail > head) {                     // delivery stopped, or still a partial frame
                if (off < n) append(data, off, n);
                return;
            }
        }
        off = deliver(c, data, off, n);
        if (off < n && c.isOpen()) append(data, off, n);
    }

    @Override
    public void onDescriptors(Connection c, List<ReceivedDescriptor> fds) {
        handler.onDescriptors(c, fds);
    }

    @Override
    public void onWritabilityChanged(Connection c, boolean writable) {
        handler.onWritabilityChanged(c, writable);
        // The usual place to resume after backpressure: deliver what waited, as resumeReading does.
        if (writable && tail > head && !delivering && !closed) {
            try {
                deliverWaiting(c);
            } catch (FrameException e) {
                failed(c, e);
            }
        }
    }

    @Override
    public void onEndOfInput(Connection c) {
        inputEnded = true;
        try {
            deliverWaiting(c);
        } catch (FrameException e) {
            failed(c, e);
        }
    }

    @Override
    public void onShutdown(Connection c) {
        handler.onShutdown(c);
    }

    @Override
    public void onClose(Connection c, Throwable cause) {
        if (c != connection) {   // one refused in onOpen: this one's state belongs to another
            handler.onClose(c, cause);
            return;
        }
        closed = true;
        if (!delivering) release();   // else once onFrame returns: the frame it holds may be in the buffer
        Throwable why = cause;
        if (failure != null) {
            if (cause != null && cause != failure) failure.addSuppressed(cause);   // e.g. the close's flush timed out
            why = failure;
        }
        handler.onClose(c, why);
    }

    /**
     * The input cannot be framed: stop reading, flush the replies to the frames before it, and
     * close; {@link #onClose} reports {@code e}.
     */
    private void failed(Connection c, FrameException e) {
        failure = e;
        c.close();
    }

    // ---- delivery (loop thread)

    /**
     * Delivers the frames waiting in the buffer while the connection reads; then, at the end of
     * input, reports a partial frame or passes the end on.
     */
    private void deliverWaiting(Connection c) throws FrameException {
        if (tail > head) {
            head = deliver(c, buffer, head, tail);
            if (head == tail) empty();
        }
        if (!inputEnded || !reading(c)) return;
        if (tail > head) {
            long have = tail - head;
            throw new TruncatedFrameException("end of input inside a frame: " + have + " bytes received, "
                    + (needed > have + 1 ? "at least " + needed + " needed" : "no end of frame") + " (" + decoder + ")");
        }
        inputEnded = false;   // passed on once
        handler.onEndOfInput(c);
    }

    /**
     * Delivers the whole frames of {@code in} from {@code p} to {@code end} while the connection
     * reads. Returns where the first undelivered byte is; {@code needed} and {@code scanned}
     * then describe the partial frame there.
     */
    private long deliver(Connection c, MemorySegment in, long p, long end) throws FrameException {
        while (p < end && reading(c)) {
            if (end - p < needed) return p;   // the decoder said it needs more
            long r = decoder.decode(in, p, end, scanned);
            if (r <= 0) {
                needMore(r, end - p);
                return p;
            }
            frame(c, in, p, r, end - p);
            p += r;
        }
        return p;
    }

    /**
     * The buffer holds the first bytes of a frame, or frames that waited for a resume: delivers
     * those, then completes the partial frame from {@code data}, copying only as much of it as
     * the frame may need. Returns how much of {@code data} it used; the buffer is then empty,
     * unless delivery stopped or {@code data} did not complete the frame.
     */
    private long completeWaiting(Connection c, MemorySegment data) throws FrameException {
        head = deliver(c, buffer, head, tail);
        if (head == tail) {
            empty();
            return 0;
        }
        if (!reading(c)) return 0;
        compact();
        long n = data.byteSize();
        long off = 0;
        long step = MIN_STEP;
        while (off < n) {
            // Exactly what a known length needs; for a search, steps that double, so that a
            // long frame costs few decoder calls and a short one copies little beyond its end.
            long want = Math.max(needed - tail, step);
            step = Math.min(step * 2, max);
            long k = Math.min(Math.min(want, n - off), max - tail);
            ensureCapacity(tail + k);
            MemorySegment.copy(data, off, buffer, tail, k);
            tail += k;
            off += k;
            if (tail < needed) continue;
            long r = decoder.decode(buffer, 0, tail, scanned);
            if (r <= 0) {
                needMore(r, tail);
                continue;
            }
            frame(c, buffer, 0, r, tail);
            // Bytes copied past the frame's end are read again from data, where they are whole.
            off -= tail - r;
            empty();
            return off;
        }
        return off;
    }

    /** The decoder needs more than the {@code have} bytes at the frame's start. */
    private void needMore(long r, long have) throws FrameTooLongException {
        needed = Math.max(-r, have + 1);
        scanned = have;
        if (needed > max) {
            throw new FrameTooLongException(needed == have + 1
                    ? "no end of frame within " + have + " bytes, the maximum frame length (" + decoder + ")"
                    : "frame of at least " + needed + " bytes, over the maximum of " + max + " (" + decoder + ")");
        }
    }

    /** Hands the frame of {@code length} bytes at {@code p} to the handler, without what the decoder strips. */
    private void frame(Connection c, MemorySegment in, long p, long length, long available) throws FrameException {
        if (length > available) {
            throw new IllegalStateException(decoder + " returned a frame of " + length + " bytes from " + available);
        }
        if (length > max) {
            throw new FrameTooLongException("frame of " + length + " bytes, over the maximum of " + max + " (" + decoder + ")");
        }
        needed = 0;
        scanned = 0;
        long h = decoder.headerLength(in, p, length);
        long t = decoder.trailerLength(in, p, length);
        if (h < 0 || t < 0 || h + t > length) {
            throw new IllegalStateException(decoder + " strips " + h + " + " + t + " bytes of a " + length + "-byte frame");
        }
        // The whole read, nothing stripped: the segment itself, which costs no allocation.
        MemorySegment f = p == 0 && h == 0 && t == 0 && length == in.byteSize() ? in : in.asSlice(p + h, length - h - t);
        delivering = true;
        try {
            handler.onFrame(c, f);
        } finally {
            delivering = false;
            if (closed) release();
        }
    }

    private static boolean reading(Connection c) {
        return c.isOpen() && c.isReading();
    }

    // ---- the buffer (loop thread)

    /** Keeps {@code data[from, to)}, which the read buffer will not hold after this callback. */
    private void append(MemorySegment data, long from, long to) {
        if (closed) return;   // closed from onFrame: nothing more is delivered
        compact();
        ensureCapacity(tail + to - from);
        MemorySegment.copy(data, from, buffer, tail, to - from);
        tail += to - from;
    }

    /** Moves the waiting bytes to the start of the buffer. */
    private void compact() {
        if (head == 0) return;
        MemorySegment.copy(buffer, head, buffer, 0, tail - head);   // overlapping: copied as by memmove
        tail -= head;
        head = 0;
    }

    private void ensureCapacity(long size) {
        long capacity = buffer == null ? 0 : buffer.byteSize();
        if (size <= capacity) return;
        long grown = Math.max(size, Math.min(Math.max(MIN_CAPACITY, capacity * 2), max));
        Arena a = Arena.ofConfined();
        MemorySegment b = a.allocate(grown);
        if (tail > head) MemorySegment.copy(buffer, head, b, 0, tail - head);
        release();
        arena = a;
        buffer = b;
        tail -= head;
        head = 0;
    }

    /** Nothing waits any more: the next frame starts afresh; a large buffer is given back. */
    private void empty() {
        head = tail = 0;
        needed = scanned = 0;
        if (buffer != null && buffer.byteSize() > KEEP_CAPACITY) release();
    }

    private void release() {
        if (arena != null) {
            arena.close();
            arena = null;
            buffer = null;
        }
    }

    @Override
    public String toString() {
        return "Framed[" + decoder + ", " + handler.getClass().getName() + "]";
    }
}
