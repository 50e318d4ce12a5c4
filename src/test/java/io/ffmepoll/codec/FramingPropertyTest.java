package io.ffmepoll.codec;

import io.ffmepoll.epoll.ModelTries;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.AlphaChars;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.io.ByteArrayOutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Whatever the protocol and wherever the stream is cut into reads, the handler sees exactly the
 * frames that were sent, in order. Each cut is a read of its own on the server (the client waits
 * until the loop has read a piece before it sends the next), so a failure shrinks to the
 * protocol, the frames and the read boundaries that break it.
 */
@AddLifecycleHook(ModelTries.class)
class FramingPropertyTest {

    /** One server for every try (a reactor per try would be most of the run time); each connection takes the current decoder. */
    private static volatile FrameDecoder decoder;
    private static FramedServer server;

    @BeforeContainer
    static void start() throws Exception {
        server = FramedServer.serving(() -> decoder, null);
    }

    @AfterContainer
    static void stop() {
        if (server != null) server.close();
    }

    /** A protocol: how a payload goes on the wire, and what of it the handler sees. */
    sealed interface Protocol {
        FrameDecoder decoder();

        byte[] wire(byte[] payload);

        byte[] seen(byte[] payload);
    }

    record Lines(boolean strip, boolean crlf) implements Protocol {
        public FrameDecoder decoder() {
            return FrameDecoder.lines(1024, strip);
        }

        public byte[] wire(byte[] p) {
            return concat(p, crlf ? new byte[] {'\r', '\n'} : new byte[] {'\n'});
        }

        public byte[] seen(byte[] p) {
            return strip ? p : wire(p);
        }
    }

    record Delimiter(boolean strip) implements Protocol {
        static final byte[] DELIMITER = {'|', '|', '.'};

        public FrameDecoder decoder() {
            return FrameDecoder.delimiter(1024, strip, DELIMITER);
        }

        public byte[] wire(byte[] p) {
            return concat(p, DELIMITER);
        }

        public byte[] seen(byte[] p) {
            return strip ? p : wire(p);
        }
    }

    record LengthField(int offset, int width, boolean little, boolean countsHeader, boolean strip) implements Protocol {
        public FrameDecoder decoder() {
            int header = offset + width;
            return FrameDecoder.lengthField(width, 1024).withFieldOffset(offset)
                    .withOrder(little ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN)
                    .withAdjustment(countsHeader ? -header : 0)
                    .withStrip(strip ? header : 0);
        }

        public byte[] wire(byte[] p) {
            int header = offset + width;
            long value = p.length + (countsHeader ? header : 0);
            ByteBuffer b = ByteBuffer.allocate(header + p.length).order(little ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
            for (int i = 0; i < offset; i++) b.put((byte) (0xA0 + i));
            switch (width) {
                case 1 -> b.put((byte) value);
                case 2 -> b.putShort((short) value);
                case 4 -> b.putInt((int) value);
                default -> b.putLong(value);
            }
            return b.put(p).array();
        }

        public byte[] seen(byte[] p) {
            byte[] w = wire(p);
            return strip ? Arrays.copyOfRange(w, offset + width, w.length) : w;
        }
    }

    /** Fixed-length frames: payloads are cut or padded to the length. */
    record Fixed(int length) implements Protocol {
        public FrameDecoder decoder() {
            return FrameDecoder.fixedLength(length);
        }

        public byte[] wire(byte[] p) {
            byte[] f = Arrays.copyOf(p, length);
            for (int i = p.length; i < length; i++) f[i] = (byte) i;
            return f;
        }

        public byte[] seen(byte[] p) {
            return wire(p);
        }
    }

    @Provide
    Arbitrary<Protocol> protocols() {
        Arbitrary<Boolean> b = Arbitraries.of(true, false);
        return Arbitraries.oneOf(
                Combinators.combine(b, b).as(Lines::new),
                b.map(Delimiter::new),
                Combinators.combine(Arbitraries.integers().between(0, 3), Arbitraries.of(1, 2, 4, 8), b, b, b)
                        .as(LengthField::new),
                Arbitraries.integers().between(1, 40).map(Fixed::new));
    }

    @Property(tries = 100)
    void handlerSeesExactlyTheFramesSentWhereverTheReadsSplitThem(
            @ForAll("protocols") Protocol protocol,
            @ForAll @Size(max = 8) List<@AlphaChars @StringLength(max = 120) String> payloads,
            @ForAll @Size(max = 24) List<@IntRange(min = 1, max = 100_000) Integer> cutSeeds) throws Exception {
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        List<String> expected = new ArrayList<>();
        for (String p : payloads) {
            byte[] bytes = p.getBytes(StandardCharsets.US_ASCII);
            wire.writeBytes(protocol.wire(bytes));
            expected.add(Arrays.toString(protocol.seen(bytes)));
        }
        byte[] stream = wire.toByteArray();
        TreeSet<Integer> cuts = new TreeSet<>();
        for (int c : cutSeeds) if (stream.length > 1) cuts.add(1 + c % (stream.length - 1));
        decoder = protocol.decoder();
        server.frames.clear();
        try (Socket s = server.connect()) {
            server.writeInPieces(s, stream, cuts.stream().mapToInt(Integer::intValue).toArray());
            server.awaitFrames(expected.size());
            assertEquals(expected, server.frames.stream().map(Arrays::toString).toList());
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
