package io.ffmepoll.codec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HexFormat;

/** Frames that end with a delimiter; see {@link FrameDecoder#lines} and {@link FrameDecoder#delimiter}. */
final class DelimiterDecoder implements FrameDecoder {
    private final byte[] delimiter;
    private final boolean strip;
    /** Lines: a {@code '\r'} right before the {@code '\n'} is stripped with it. */
    private final boolean lines;
    private final long max;

    DelimiterDecoder(byte[] delimiter, boolean strip, boolean lines, long max) {
        if (delimiter.length == 0) throw new IllegalArgumentException("empty delimiter");
        if (max < delimiter.length) {
            throw new IllegalArgumentException("maxFrameLength " + max + " cannot hold the " + delimiter.length + "-byte delimiter");
        }
        this.delimiter = delimiter;
        this.strip = strip;
        this.lines = lines;
        this.max = max;
    }

    @Override
    public long maxFrameLength() {
        return max;
    }

    @Override
    public long decode(MemorySegment in, long start, long end, long scanned) {
        byte first = delimiter[0];
        int more = delimiter.length - 1;
        // A delimiter may straddle the bytes already scanned and the new ones.
        long from = start + Math.max(0, scanned - more);
        for (long i = from; i + more < end; i++) {
            if (in.get(ValueLayout.JAVA_BYTE, i) == first && rest(in, i)) return i + delimiter.length - start;
        }
        return -(end - start + 1);
    }

    private boolean rest(MemorySegment in, long at) {
        for (int k = 1; k < delimiter.length; k++) {
            if (in.get(ValueLayout.JAVA_BYTE, at + k) != delimiter[k]) return false;
        }
        return true;
    }

    @Override
    public long trailerLength(MemorySegment in, long start, long frameLength) {
        if (!strip) return 0;
        long end = start + frameLength - delimiter.length;
        boolean cr = lines && end > start && in.get(ValueLayout.JAVA_BYTE, end - 1) == '\r';
        return delimiter.length + (cr ? 1 : 0);
    }

    @Override
    public String toString() {
        String what = lines ? "lines" : "delimiter " + HexFormat.of().formatHex(delimiter);
        return "FrameDecoder[" + what + (strip ? ", stripped" : ", kept") + ", max " + max + "]";
    }
}
