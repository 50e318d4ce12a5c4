package io.ffmepoll.codec;

/**
 * The peer ended its output (end of stream) inside a frame: the bytes of a frame had begun to
 * arrive and its end never came. The message says how many bytes were held.
 */
public final class TruncatedFrameException extends FrameException {
    private static final long serialVersionUID = 1L;

    /**
     * An exception with {@code message}.
     * @param message how many bytes of the frame were held, and how many it needed where that is known
     */
    public TruncatedFrameException(String message) {
        super(message);
    }
}
