package io.ffmepoll.codec;

import java.io.IOException;

/**
 * The peer's input cannot be framed: a length field that describes no valid frame. Thrown on
 * the loop thread by a {@link FrameDecoder}; {@link Framed} lets it close the connection, and
 * {@link io.ffmepoll.reactor.Handler#onClose} receives it as the cause.
 * <p>An {@link IOException}: bad input from the peer is an I/O failure, not a bug of the
 * handler, so the reactor logs it at {@code DEBUG} rather than as a handler failure.
 */
public class FrameException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * An exception with {@code message}.
     * @param message what in the input cannot be framed, as {@link io.ffmepoll.reactor.Handler#onClose}
     *        and the log will show it
     */
    public FrameException(String message) {
        super(message);
    }
}
