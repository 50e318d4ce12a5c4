package io.ffmepoll.shared;

import java.lang.foreign.MemorySegment;

/**
 * What a connection of a {@link SharedServer} does with its input. One handler per connection.
 * <p>Callbacks run on whichever worker thread took the connection's event, never on two threads
 * at once for one connection, and each callback sees everything the previous one wrote (the
 * hand-over between workers is a happens-before edge): handler state needs no locks. Callbacks
 * may block or compute for a long time; only this connection waits meanwhile, the other workers
 * keep serving the rest.
 * <p>A handler that throws has its connection closed with the exception as cause; the worker
 * and every other connection carry on.
 * {@snippet :
 * final class SlowEcho implements SharedHandler {
 *     public void onRead(SharedConnection c, MemorySegment data) {
 *         byte[] reply = lookUp(data);   // a JDBC call, a CPU-heavy request: may take long
 *         c.write(MemorySegment.ofArray(reply));
 *     }
 * }
 * }
 */
public interface SharedHandler {

    /**
     * The connection is registered; called once, before any other callback, on the first
     * worker that takes it (never on the accepting path, so a slow {@code onOpen} delays no
     * accept).
     * @param c the new connection
     */
    default void onOpen(SharedConnection c) {}

    /**
     * Bytes arrived. {@code data} is the worker's read buffer: valid only during this call (copy
     * what you keep; {@link SharedConnection#write(MemorySegment)} copies what it cannot send at
     * once).
     * @param c the connection the bytes came from
     * @param data the bytes read, at most the server's {@code readBufferSize}
     */
    void onRead(SharedConnection c, MemorySegment data);

    /**
     * The peer shut down its output; no more {@link #onRead} calls follow. The default closes
     * the connection once queued output is flushed.
     * @param c the connection whose peer shut down its output; it may still write
     */
    default void onEndOfInput(SharedConnection c) {
        c.close();
    }

    /**
     * The connection is closed and its descriptor released. Called once, only for a connection
     * whose {@link #onOpen} ran, on the thread that completed the close: a worker, or the thread
     * that called {@link SharedConnection#close()} or {@link SharedServer#shutdown} while no
     * worker held the connection. {@code cause} is null for an orderly close, else what ended
     * it: an I/O error such as {@code ECONNRESET}, a handler's exception, a full output queue, or
     * a {@link java.util.concurrent.CancellationException} when a shutdown's grace period ran out.
     * @param c the closed connection; it can no longer write
     * @param cause null for an orderly close, else what ended the connection
     */
    default void onClose(SharedConnection c, Throwable cause) {}
}
