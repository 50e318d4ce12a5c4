package io.ffmepoll.codec;

import io.ffmepoll.reactor.Connection;
import io.ffmepoll.reactor.Listener;
import io.ffmepoll.reactor.Reactor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A length-prefixed protocol: each message is a 4-byte big-endian length, then that many bytes.
 * The server answers each message with one of the same form whose payload is the request's
 * payload reversed, and echoes an empty message as it is (a ping). Messages over 64 KiB close
 * the connection.
 */
final class LengthPrefixed implements FrameHandler {
    static final int HEADER = 4;
    static final int MAX_FRAME = 64 * 1024;
    static final FrameDecoder FRAMES = FrameDecoder.lengthField(HEADER, MAX_FRAME);
    private static final ValueLayout.OfInt LENGTH = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /** One reply buffer per connection, reused: the loop allocates nothing per message. */
    private final byte[] reply = new byte[MAX_FRAME];
    private final MemorySegment replySegment = MemorySegment.ofArray(reply);

    static Framed handler() {
        return new Framed(FRAMES, new LengthPrefixed());
    }

    @Override
    public void onFrame(Connection c, MemorySegment frame) {
        long n = frame.byteSize() - HEADER;
        if (n == 0) {
            c.write(frame);   // the whole frame as it came: no copy, and for a whole read no allocation
            return;
        }
        replySegment.set(LENGTH, 0, (int) n);
        for (long i = 0; i < n; i++) {
            reply[(int) (HEADER + i)] = frame.get(ValueLayout.JAVA_BYTE, frame.byteSize() - 1 - i);
        }
        c.write(replySegment.asSlice(0, HEADER + n));
    }

    /** A message as the client sends it. */
    static byte[] encode(byte[] payload) {
        return ByteBuffer.allocate(HEADER + payload.length).putInt(payload.length).put(payload).array();
    }

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 7001;
        try (Reactor reactor = Reactor.builder().loops(1).build();
             Listener l = reactor.listen(new InetSocketAddress("127.0.0.1", port), LengthPrefixed::handler)) {
            System.out.println("listening " + l.port());
            Thread.sleep(Long.MAX_VALUE);
        }
    }
}
