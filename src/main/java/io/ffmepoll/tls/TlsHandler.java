package io.ffmepoll.tls;

import java.lang.foreign.MemorySegment;

/**
 * What a TLS connection does with its events: the plaintext side of a
 * {@link io.ffmepoll.reactor.Handler}. One handler per connection, called only on the
 * connection's loop thread, one callback at a time, like the reactor's handlers.
 * <p>{@link #onOpen} comes once the handshake has finished (the negotiated protocol, cipher
 * suite, ALPN value and peer certificates are known then); {@link #onClose} comes exactly once
 * per connection, also when the handshake failed and {@code onOpen} never came.
 * {@snippet :
 * final class TlsEcho implements TlsHandler {
 *     public void onRead(TlsConnection c, MemorySegment data) {
 *         if (!c.write(data)) c.pauseReading();    // over the high watermark: stop reading
 *     }
 *     public void onWritabilityChanged(TlsConnection c, boolean writable) {
 *         if (writable) c.resumeReading();
 *     }
 * }
 * reactor.listen(new InetSocketAddress("127.0.0.1", 8443), tls.handlers(TlsEcho::new));
 * }
 */
public interface TlsHandler {

    /**
     * The handshake finished: the connection is ready for {@link TlsConnection#write}.
     * @param c the connection
     */
    default void onOpen(TlsConnection c) {}

    /**
     * Plaintext arrived. {@code data} is the connection's decryption buffer: valid only during
     * this call (copy what you keep).
     * @param c the connection
     * @param data the plaintext
     */
    void onRead(TlsConnection c, MemorySegment data);

    /**
     * The connection's queued output (ciphertext, which is what the plaintext written became)
     * crossed the reactor's high watermark ({@code false}) or fell back to the low one
     * ({@code true}). Called from within {@link TlsConnection#write} too.
     * @param c the connection
     * @param writable whether writes may continue
     */
    default void onWritabilityChanged(TlsConnection c, boolean writable) {}

    /**
     * The peer sent {@code close_notify}: no more {@link #onRead} calls follow. The default
     * closes the connection (sending our {@code close_notify} after queued output). A TCP end of
     * stream without {@code close_notify} is not reported here but as an error to
     * {@link #onClose} (it may be a truncation attack).
     * @param c the connection
     */
    default void onEndOfInput(TlsConnection c) {
        c.close();
    }

    /**
     * The reactor is shutting down gracefully; the default closes the connection. As {@link io.ffmepoll.reactor.Handler#onShutdown}.
     * @param c the connection
     */
    default void onShutdown(TlsConnection c) {
        c.close();
    }

    /**
     * The connection is closed. {@code cause} is null for an orderly close, else what ended it:
     * an {@link javax.net.ssl.SSLException} (handshake failure, bad record, truncation, refused
     * renegotiation, handshake timeout), an I/O error, or a handler's exception.
     * @param c the connection
     * @param cause null for an orderly close, else what closed it
     */
    default void onClose(TlsConnection c, Throwable cause) {}
}

