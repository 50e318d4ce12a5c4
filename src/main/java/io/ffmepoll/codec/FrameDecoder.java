package io.ffmepoll.codec;

import java.lang.foreign.MemorySegment;

/**
 * Finds where frames end in a byte stream. {@link Framed} asks it, each time bytes arrive,
 * where the frame that starts at a given offset ends; it never copies or allocates to do so.
 * <p>Decoders are immutable and hold no per-connection state: one instance may serve every
 * connection, from any thread. The built-in ones:
 * <ul>
 * <li>{@link #lines(long)}, {@link #delimiter(long, boolean, byte...)}: frames end with a
 *     delimiter ({@code "\n"}, optionally after {@code "\r"});</li>
 * <li>{@link #lengthField(int, long)}: a 1, 2, 4 or 8-byte length field, big or little endian,
 *     with an adjustment and a header to strip ({@link LengthFieldDecoder});</li>
 * <li>{@link #fixedLength(long)}: every frame has the same length.</li>
 * </ul>
 * {@snippet :
 * FrameDecoder lines = FrameDecoder.lines(8192);                    // text lines, "\n" or "\r\n" stripped
 * FrameDecoder messages = FrameDecoder.lengthField(4, 1 << 20)      // 4-byte big-endian length, then the payload
 *         .withStrip(4);                                            // the handler sees the payload only
 * }
 * <h2>Writing a decoder</h2>
 * {@link #decode} looks at {@code in} from {@code start} to {@code end} and either returns the
 * length of the whole frame there, or the negated number of bytes the frame needs at least
 * (more than {@code end - start}); it is not asked again until that many are there. What the
 * handler sees of a frame is the frame without its {@link #headerLength} first bytes and its
 * {@link #trailerLength} last bytes. {@link #maxFrameLength()} bounds what is buffered for one
 * connection: {@link Framed} enforces it, whatever the decoder returns.
 * {@snippet :
 * // Frames of "key=value;" (illustrative): up to 256 bytes, the ';' kept.
 * final class Semicolons implements FrameDecoder {
 *     public long maxFrameLength() { return 256; }
 *     public long decode(MemorySegment in, long start, long end, long scanned) {
 *         for (long i = start + scanned; i < end; i++) {
 *             if (in.get(ValueLayout.JAVA_BYTE, i) == ';') return i + 1 - start;
 *         }
 *         return -(end - start + 1);     // at least one more byte
 *     }
 * }
 * }
 */
public interface FrameDecoder {

    /**
     * The longest frame accepted, on the wire (header and delimiter included). A longer frame,
     * or a frame that will need more (a length field announcing more, no delimiter within it),
     * closes the connection with a {@link FrameTooLongException}. Any thread.
     * @return the maximum frame length in bytes, at least 1; also the most a {@link Framed}
     *         buffers for one connection's partial frame
     */
    long maxFrameLength();

    /**
     * Finds the end of the frame that starts at {@code start}. Called on the loop thread;
     * {@code in} is valid during the call only.
     * @param in the bytes received so far
     * @param start where the frame starts
     * @param end where the bytes received end (exclusive); {@code end > start}
     * @param scanned how many bytes from {@code start} an earlier call for this same frame
     *        examined without finding its end (0 the first time): a decoder that searches may
     *        resume there. Ignoring it is correct, only slower.
     * @return the frame's length on the wire, {@code 1..end - start}, when {@code in} holds
     *         all of it; otherwise minus the number of bytes from {@code start} the frame needs
     *         at least (a value above {@code end - start}; -1 is read as "one more byte")
     * @throws FrameException if the bytes cannot begin a valid frame
     */
    long decode(MemorySegment in, long start, long end, long scanned) throws FrameException;

    /**
     * Bytes at the start of the frame at {@code start}, {@code frameLength} long, that the
     * handler does not see (a length header to strip). 0 unless overridden. Loop thread.
     * @param in the bytes received, valid during the call only
     * @param start where the frame starts in {@code in}
     * @param frameLength the frame's length on the wire, as {@link #decode} returned it
     * @return how many of the frame's first bytes to hide, 0 to {@code frameLength} minus the
     *         {@link #trailerLength}
     */
    default long headerLength(MemorySegment in, long start, long frameLength) {
        return 0;
    }

    /**
     * Bytes at the end of the frame at {@code start}, {@code frameLength} long, that the handler
     * does not see (a delimiter to strip). 0 unless overridden. Loop thread.
     * @param in the bytes received, valid during the call only
     * @param start where the frame starts in {@code in}
     * @param frameLength the frame's length on the wire, as {@link #decode} returned it
     * @return how many of the frame's last bytes to hide, 0 to {@code frameLength} minus the
     *         {@link #headerLength}
     */
    default long trailerLength(MemorySegment in, long start, long frameLength) {
        return 0;
    }

    /**
     * Text lines: a frame ends after {@code '\n'}; the handler sees the line without its
     * {@code "\n"} or {@code "\r\n"}.
     * @param maxFrameLength the longest line, its line end included
     * @return a decoder of {@code '\n'}-terminated lines, line ends stripped
     * @throws IllegalArgumentException if {@code maxFrameLength < 1}
     */
    static FrameDecoder lines(long maxFrameLength) {
        return lines(maxFrameLength, true);
    }

    /**
     * Text lines: a frame ends after {@code '\n'}.
     * @param maxFrameLength the longest line, its line end included
     * @param stripDelimiter whether the handler sees the line without its {@code "\n"} or
     *        {@code "\r\n"}; with false it sees the line end, and a whole line read at once is
     *        handed over as the read buffer itself
     * @return a decoder of {@code '\n'}-terminated lines
     * @throws IllegalArgumentException if {@code maxFrameLength < 1}
     */
    static FrameDecoder lines(long maxFrameLength, boolean stripDelimiter) {
        return new DelimiterDecoder(new byte[] {'\n'}, stripDelimiter, true, maxFrameLength);
    }

    /**
     * Frames that end with {@code delimiter} (one or more bytes; the first occurrence ends a frame).
     * @param maxFrameLength the longest frame, its delimiter included
     * @param stripDelimiter whether the handler sees the frame without its delimiter
     * @param delimiter the bytes that end a frame; copied, so later changes to the array do
     *        not affect the decoder
     * @return a decoder of frames ending with {@code delimiter}
     * @throws IllegalArgumentException if {@code delimiter} is empty or longer than
     *         {@code maxFrameLength}
     */
    static FrameDecoder delimiter(long maxFrameLength, boolean stripDelimiter, byte... delimiter) {
        return new DelimiterDecoder(delimiter.clone(), stripDelimiter, false, maxFrameLength);
    }

    /**
     * Frames of exactly {@code frameLength} bytes.
     * @param frameLength every frame's length, which is also the maximum
     * @return a decoder that cuts the input every {@code frameLength} bytes, stripping nothing
     * @throws IllegalArgumentException if {@code frameLength < 1}
     */
    static FrameDecoder fixedLength(long frameLength) {
        return new FixedLengthDecoder(frameLength);
    }

    /**
     * Frames that start with a length field of {@code fieldWidth} bytes (1, 2, 4 or 8, unsigned,
     * big endian) counting the bytes that follow it; the handler sees the whole frame, header
     * included. {@link LengthFieldDecoder}'s {@code with...} methods change the byte order, put
     * the field after other header bytes, adjust what the length counts and strip the header.
     * @param fieldWidth the length field's size in bytes: 1, 2, 4 or 8
     * @param maxFrameLength the longest frame, header included
     * @return a decoder to refine with its {@code with...} methods
     * @throws IllegalArgumentException if {@code fieldWidth} is not 1, 2, 4 or 8, or
     *         {@code maxFrameLength} cannot hold the field or is over {@code Long.MAX_VALUE / 4}
     */
    static LengthFieldDecoder lengthField(int fieldWidth, long maxFrameLength) {
        return new LengthFieldDecoder(0, fieldWidth, java.nio.ByteOrder.BIG_ENDIAN, 0, 0, maxFrameLength);
    }
}
