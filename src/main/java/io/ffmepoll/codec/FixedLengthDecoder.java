package io.ffmepoll.codec;

import java.lang.foreign.MemorySegment;

/** Frames of one length; see {@link FrameDecoder#fixedLength}. */
record FixedLengthDecoder(long frameLength) implements FrameDecoder {

    FixedLengthDecoder {
        if (frameLength < 1) throw new IllegalArgumentException("frame length must be positive: " + frameLength);
    }

    @Override
    public long maxFrameLength() {
        return frameLength;
    }

    @Override
    public long decode(MemorySegment in, long start, long end, long scanned) {
        return end - start >= frameLength ? frameLength : -frameLength;
    }
}
