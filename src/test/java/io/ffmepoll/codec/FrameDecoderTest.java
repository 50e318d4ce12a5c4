package io.ffmepoll.codec;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The decoders' arithmetic and their refusals, on plain segments (no I/O involved). */
class FrameDecoderTest {

    private static MemorySegment bytes(String s) {
        return MemorySegment.ofArray(s.getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void lengthFieldAcceptsOnlyWidthsOneTwoFourEight() {
        for (int w : new int[] {0, 3, 5, 16}) {
            assertThrows(IllegalArgumentException.class, () -> FrameDecoder.lengthField(w, 100));
        }
        assertThrows(IllegalArgumentException.class, () -> FrameDecoder.lengthField(4, 3), "max below the header");
    }

    @Test
    void eightByteLittleEndianLengthIsRead() throws Exception {
        MemorySegment in = MemorySegment.ofArray(ByteBuffer.allocate(13).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(5).put(new byte[5]).array());
        LengthFieldDecoder d = FrameDecoder.lengthField(8, 100).withOrder(ByteOrder.LITTLE_ENDIAN);
        assertEquals(13, d.decode(in, 0, 13, 0));
        assertEquals(-13, d.decode(in, 0, 12, 0), "one byte short: the whole frame's length is the need");
        assertEquals(-8, d.decode(in, 0, 5, 0), "inside the header: the header's length is the need");
    }

    @Test
    void lengthThatMakesAFrameShorterThanItsHeaderIsRefused() {
        LengthFieldDecoder countsWholeFrame = FrameDecoder.lengthField(2, 100).withAdjustment(-2);
        MemorySegment in = MemorySegment.ofArray(new byte[] {0, 1, 'a', 'b'});   // 1 byte: inside its own header
        FrameException e = assertThrows(FrameException.class, () -> countsWholeFrame.decode(in, 0, 4, 0));
        assertTrue(e.getMessage().contains("shorter than its 2-byte header"), e.getMessage());
        MemorySegment empty = MemorySegment.ofArray(new byte[] {0, 2});   // the header alone: an empty frame, valid
        assertEquals(2, assertDoesNotThrow(() -> countsWholeFrame.decode(empty, 0, 2, 0)));
    }

    @Test
    void eightByteLengthAboveTwoToTheSixtyThreeIsTooLong() {
        MemorySegment in = MemorySegment.ofArray(new byte[] {(byte) 0x80, 0, 0, 0, 0, 0, 0, 1});
        FrameTooLongException e = assertThrows(FrameTooLongException.class,
                () -> FrameDecoder.lengthField(8, 1000).decode(in, 0, 8, 0));
        assertTrue(e.getMessage().contains("9223372036854775809"), e.getMessage());
    }

    /** A search resumed after the bytes already scanned still finds a delimiter that straddles them. */
    @Test
    void delimiterStraddlingTheScannedBytesIsFound() throws Exception {
        FrameDecoder d = FrameDecoder.delimiter(100, true, (byte) '|', (byte) '|', (byte) '.');
        MemorySegment in = bytes("xyab||.rest");
        assertEquals(-5, d.decode(in, 2, 6, 0), "'ab||' so far: no end yet");
        assertEquals(5, d.decode(in, 2, 11, 4), "resumed after 'ab||': the '||' already scanned still counts");
        assertEquals(3, d.trailerLength(in, 2, 5));
    }

    @Test
    void linesStripCarriageReturnOnlyBeforeTheNewline() throws Exception {
        FrameDecoder d = FrameDecoder.lines(100);
        MemorySegment in = bytes("a\rb\r\n");
        assertEquals(5, d.decode(in, 0, 5, 0));
        assertEquals(2, d.trailerLength(in, 0, 5));
        assertEquals(0, FrameDecoder.lines(100, false).trailerLength(in, 0, 5));
    }
}
