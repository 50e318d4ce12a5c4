package io.ffmepoll.codec;

import io.ffmepoll.reactor.Connection;
import io.ffmepoll.reactor.Handler;

import java.lang.foreign.MemorySegment;

/**
 * A {@link Handler} that receives whole frames instead of reads: serve it through
 * {@link Framed}, which decodes the input with a {@link FrameDecoder} and calls
 * {@link #onFrame} once per frame. Every other callback ({@code onOpen},
 * {@code onWritabilityChanged}, {@code onClose}...) arrives as for any handler, with the same
 * threading: all on the connection's loop thread, one at a time.
 * {@snippet :
 * reactor.listen(new InetSocketAddress("127.0.0.1", 7000),
 *         () -> new Framed(FrameDecoder.lines(8192, false), (c, line) -> c.write(line)));   // line echo
 * }
 */
@FunctionalInterface
public interface FrameHandler extends Handler {

    /**
     * A whole frame arrived, without the header or delimiter its decoder strips. {@code frame}
     * is valid only during this call, like {@link Handler#onRead}'s data: copy what you keep
     * ({@link Connection#write} copies what it cannot send at once). Loop thread.
     * <p>Frames stop after {@link Connection#pauseReading()} or {@link Connection#close()};
     * frames already read then wait in the {@link Framed} (see {@link Framed#resumeReading}).
     * @param c the connection the frame came from
     * @param frame the frame's bytes, header and delimiter stripped as the decoder says;
     *        valid during this call only
     */
    void onFrame(Connection c, MemorySegment frame);

    /**
     * Not called: a {@code FrameHandler}'s input arrives through {@link #onFrame}.
     * @throws UnsupportedOperationException always: the handler was registered directly
     *         instead of through {@link Framed}
     */
    @Override
    default void onRead(Connection c, MemorySegment data) {
        throw new UnsupportedOperationException(getClass().getName()
                + " is a FrameHandler: register new Framed(decoder, handler), not the handler itself");
    }
}
