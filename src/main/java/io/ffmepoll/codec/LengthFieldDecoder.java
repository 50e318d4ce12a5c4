package io.ffmepoll.codec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * Frames whose header carries their length: {@code fieldOffset} bytes of anything, then an
 * unsigned length field of {@code fieldWidth} bytes, then the rest of the frame. The frame is
 * {@code fieldOffset + fieldWidth + value + adjustment} bytes long on the wire:
 * {@code adjustment} is 0 when the value counts the bytes after the field, and
 * {@code -(fieldOffset + fieldWidth)} when it counts the whole frame. The handler sees the frame
 * without its first {@code strip} bytes.
 * <p>An immutable value, made by {@link FrameDecoder#lengthField(int, long)} and changed with the
 * {@code with...} methods; safe to share between connections and threads.
 * {@snippet :
 * // [type: 1 byte][length: 2 bytes, little endian, counting the whole frame][payload]
 * LengthFieldDecoder d = FrameDecoder.lengthField(2, 64 * 1024)
 *         .withFieldOffset(1)
 *         .withOrder(ByteOrder.LITTLE_ENDIAN)
 *         .withAdjustment(-3)
 *         .withStrip(3);                          // the handler sees the payload
 * }
 * @param fieldOffset bytes before the length field
 * @param fieldWidth the length field's size: 1, 2, 4 or 8 bytes
 * @param order the length field's byte order
 * @param adjustment added to the field's value to get the bytes that follow the field
 * @param strip bytes at the start of each frame that the handler does not see
 * @param maxFrameLength the longest frame accepted, header included
 */
public record LengthFieldDecoder(int fieldOffset, int fieldWidth, ByteOrder order, long adjustment, int strip,
                                 long maxFrameLength) implements FrameDecoder {

    /** A larger value cannot describe a frame under any maximum, whatever the adjustment. */
    private static final long HUGE = Long.MAX_VALUE / 4;
    private static final ValueLayout.OfShort SHORT_BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN),
            SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN),
            INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG_BE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN),
            LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * Checks the settings.
     * @throws IllegalArgumentException if {@code fieldWidth} is not 1, 2, 4 or 8, an offset,
     *         strip or maximum is negative, the maximum cannot hold the header, or
     *         {@code maxFrameLength} or {@code |adjustment|} is over {@code Long.MAX_VALUE / 4}
     */
    public LengthFieldDecoder {
        Objects.requireNonNull(order, "order");
        if (fieldWidth != 1 && fieldWidth != 2 && fieldWidth != 4 && fieldWidth != 8) {
            throw new IllegalArgumentException("length field width must be 1, 2, 4 or 8 bytes: " + fieldWidth);
        }
        if (fieldOffset < 0 || strip < 0) throw new IllegalArgumentException("negative offset or strip: " + fieldOffset + ", " + strip);
        if (maxFrameLength < (long) fieldOffset + fieldWidth) {
            throw new IllegalArgumentException("maxFrameLength " + maxFrameLength + " cannot hold the "
                    + (fieldOffset + fieldWidth) + "-byte header");
        }
        if (maxFrameLength > HUGE || Math.abs(adjustment) > HUGE) {
            throw new IllegalArgumentException("maxFrameLength or adjustment out of range: " + maxFrameLength + ", " + adjustment);
        }
    }

    /**
     * This decoder with the length field after {@code offset} other bytes.
     * @param offset the bytes before the length field, at least 0
     * @return a new decoder; this one is unchanged
     * @throws IllegalArgumentException if {@code offset} is negative or the maximum frame
     *         length cannot hold {@code offset} plus the field
     */
    public LengthFieldDecoder withFieldOffset(int offset) {
        return new LengthFieldDecoder(offset, fieldWidth, order, adjustment, strip, maxFrameLength);
    }

    /**
     * This decoder reading the length field in {@code byteOrder}.
     * @param byteOrder the length field's byte order
     * @return a new decoder; this one is unchanged
     * @throws NullPointerException if {@code byteOrder} is null
     */
    public LengthFieldDecoder withOrder(ByteOrder byteOrder) {
        return new LengthFieldDecoder(fieldOffset, fieldWidth, byteOrder, adjustment, strip, maxFrameLength);
    }

    /**
     * This decoder adding {@code bytes} to the field's value (negative when the value counts the header too).
     * @param bytes added to the field's value to get the bytes that follow the field
     * @return a new decoder; this one is unchanged
     * @throws IllegalArgumentException if {@code |bytes|} is over {@code Long.MAX_VALUE / 4}
     */
    public LengthFieldDecoder withAdjustment(long bytes) {
        return new LengthFieldDecoder(fieldOffset, fieldWidth, order, bytes, strip, maxFrameLength);
    }

    /**
     * This decoder hiding the first {@code bytes} of each frame from the handler.
     * @param bytes bytes at the start of each frame that the handler does not see, at least 0
     * @return a new decoder; this one is unchanged
     * @throws IllegalArgumentException if {@code bytes} is negative
     */
    public LengthFieldDecoder withStrip(int bytes) {
        return new LengthFieldDecoder(fieldOffset, fieldWidth, order, adjustment, bytes, maxFrameLength);
    }

    /**
     * This decoder accepting frames up to {@code bytes} long.
     * @param bytes the longest frame accepted, header included
     * @return a new decoder; this one is unchanged
     * @throws IllegalArgumentException if {@code bytes} cannot hold the header (field offset
     *         plus width) or is over {@code Long.MAX_VALUE / 4}
     */
    public LengthFieldDecoder withMaxFrameLength(long bytes) {
        return new LengthFieldDecoder(fieldOffset, fieldWidth, order, adjustment, strip, bytes);
    }

    @Override
    public long decode(MemorySegment in, long start, long end, long scanned) throws FrameException {
        long header = (long) fieldOffset + fieldWidth;
        if (end - start < header) return -header;
        long value = field(in, start + fieldOffset);
        if (value < 0 || value > HUGE) {   // an 8-byte field over 2^63 reads as negative
            throw new FrameTooLongException("length field announces " + Long.toUnsignedString(value)
                    + " bytes; the maximum frame is " + maxFrameLength);
        }
        long frame = header + value + adjustment;
        if (frame < header || frame < strip || frame == 0) {
            throw new FrameException("length field value " + value + " with adjustment " + adjustment + " makes a frame of "
                    + frame + " bytes, shorter than its " + Math.max(header, strip) + "-byte header");
        }
        return end - start >= frame ? frame : -frame;
    }

    private long field(MemorySegment in, long at) {
        // The layouts are constants: withOrder makes a new layout object at each call.
        boolean big = order == ByteOrder.BIG_ENDIAN;
        return switch (fieldWidth) {
            case 1 -> in.get(ValueLayout.JAVA_BYTE, at) & 0xFFL;
            case 2 -> in.get(big ? SHORT_BE : SHORT_LE, at) & 0xFFFFL;
            case 4 -> in.get(big ? INT_BE : INT_LE, at) & 0xFFFF_FFFFL;
            default -> in.get(big ? LONG_BE : LONG_LE, at);
        };
    }

    @Override
    public long headerLength(MemorySegment in, long start, long frameLength) {
        return strip;
    }
}
