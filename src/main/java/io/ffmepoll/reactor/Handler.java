package io.ffmepoll.reactor;

import io.ffmepoll.socket.ReceivedDescriptor;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * What a connection does with its events. One handler per connection, called only on the
 * connection's {@link EventLoop} thread, one callback at a time: handler state needs no locks.
 * <p>A handler that throws has its connection closed with the exception as cause (logged via
 * {@link System.Logger}); the loop and every other connection carry on.
 * <h2>Backpressure</h2>
 * {@link Connection#write(MemorySegment)} always accepts up to the hard bound, but when queued
 * output (bytes handed off by other threads and not yet sent included) passes the high
 * watermark the connection reports {@code onWritabilityChanged(c, false)}:
 * stop producing (for a relay, {@link Connection#pauseReading()}) until
 * {@code onWritabilityChanged(c, true)} once the queue is back at or below the low watermark.
 * {@snippet :
 * final class Echo implements Handler {
 *     public void onRead(Connection c, MemorySegment data) {
 *         if (!c.write(data)) c.pauseReading();     // over the high watermark: stop reading
 *     }
 *     public void onWritabilityChanged(Connection c, boolean writable) {
 *         if (writable) c.resumeReading();
 *     }
 * }
 * reactor.listen(new InetSocketAddress("127.0.0.1", 7000), Echo::new);
 * }
 */
public interface Handler {

    /**
     * The connection is registered and ready for writes.
     * @param c the new connection
     */
    default void onOpen(Connection c) {}

    /**
     * Bytes arrived. {@code data} is the loop's read buffer: valid only during this call (copy
     * what you keep; {@link Connection#write(MemorySegment)} copies what it cannot send at once).
     * @param c the connection the bytes came from
     * @param data the bytes read
     */
    void onRead(Connection c, MemorySegment data);

    /**
     * File descriptors arrived ({@code SCM_RIGHTS}; Unix-domain connections only), with bytes
     * that the {@link #onRead} call right after this one delivers. Each arrives close-on-exec.
     * <p>Ownership: {@code fds} is the connection's list, valid during this call only. To keep a
     * descriptor, remove it from the list; it is then the handler's to close, exactly once.
     * Every descriptor still in the list when this returns (or throws) is closed by the reactor,
     * so the default, which keeps none, leaks nothing. Descriptors that arrive while the
     * connection is closing are closed unseen.
     * {@snippet :
     * public void onDescriptors(Connection c, List<ReceivedDescriptor> fds) {
     *     if (!fds.isEmpty()) pendingFile = fds.remove(0);   // ours now; the rest are closed
     * }
     * }
     * @param c the connection the descriptors came on
     * @param fds the descriptors received, in order
     */
    default void onDescriptors(Connection c, List<ReceivedDescriptor> fds) {}

    /**
     * Queued output crossed the high watermark ({@code writable == false}) or fell back to the
     * low watermark or under it ({@code true}). Called from within {@link Connection#write} too.
     * @param c the connection whose queue changed
     * @param writable the new state
     */
    default void onWritabilityChanged(Connection c, boolean writable) {}

    /**
     * The connection has been idle in the way {@code kind} names for its timeout
     * ({@link Connection#idleTimeout(Idle, java.time.Duration)}; the reactor's defaults come
     * from {@link Reactor.Builder}). Called again one timeout later if it stays idle. The
     * default closes the connection at once: {@link #onClose} gets a
     * {@link java.util.concurrent.TimeoutException} naming the kind. A handler that sends
     * heartbeats instead overrides it:
     * {@snippet :
     * public void onIdle(Connection c, Idle kind) {
     *     if (kind == Idle.WRITE) c.write(PING);
     *     else Handler.super.onIdle(c, kind);
     * }
     * }
     * @param c the idle connection
     * @param kind which timeout ran out
     */
    default void onIdle(Connection c, Idle kind) {
        c.closeIdle(kind);
    }

    /**
     * The peer shut down its output (end of stream); no more {@link #onRead} calls follow.
     * The default closes the connection once queued output is flushed. A handler that still
     * has data to send may write first, or call {@link Connection#shutdownOutput()} instead.
     * @param c the connection whose peer finished sending
     */
    default void onEndOfInput(Connection c) {
        c.close();
    }

    /**
     * A graceful shutdown ({@link Reactor#shutdown}, {@link Reactor#close}) has begun: the
     * reactor no longer accepts connections, and closes whatever is still open when the grace
     * period ends (with a {@link java.util.concurrent.CancellationException}). Until then the
     * loop keeps serving this connection, its timeouts and tasks handed to it from other
     * threads, so a reply in flight can still be written and flushed. Called once per open
     * connection, on its loop.
     * <p>The default closes the connection once queued output is flushed, which suits a handler
     * with nothing in flight. A handler still computing a reply (on a worker thread, after a
     * timeout) overrides this to close once that reply is written; the loops end as soon as
     * every connection is closed.
     * {@snippet :
     * public void onShutdown(Connection c) {
     *     if (pendingReplies == 0) c.close();
     *     else closeAfterReply = true;      // the reply task closes it
     * }
     * }
     * @param c an open connection of the loop
     */
    default void onShutdown(Connection c) {
        c.close();
    }

    /**
     * The connection is closed and its descriptor released. {@code cause} is null for an
     * orderly close, else what ended it: an I/O error such as {@code ECONNRESET}, a handler's
     * exception, a {@link java.util.concurrent.TimeoutException} (idle, or a
     * {@linkplain Connection#close() close} whose output was not flushed in time), or a
     * {@link java.util.concurrent.CancellationException} at shutdown.
     * @param c the closed connection
     * @param cause null, or what ended the connection
     */
    default void onClose(Connection c, Throwable cause) {}
}
