package io.ffmepoll.codec;

/**
 * A frame is longer than its decoder's {@linkplain FrameDecoder#maxFrameLength() maximum}, or
 * would be: a length field announcing too much is refused before its bytes are buffered, and a
 * delimiter not found within the maximum ends the search. The message says which and by how much.
 */
public final class FrameTooLongException extends FrameException {
    private static final long serialVersionUID = 1L;

    /**
     * An exception with {@code message}.
     * @param message how long the frame is or would be, and the maximum it exceeds
     */
    public FrameTooLongException(String message) {
        super(message);
    }
}
