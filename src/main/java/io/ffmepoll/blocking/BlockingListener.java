package io.ffmepoll.blocking;

import io.ffmepoll.epoll.NativeIOException;
import io.ffmepoll.socket.Option;
import io.ffmepoll.socket.StreamListener;
import io.ffmepoll.socket.StreamSocket;
import io.ffmepoll.socket.TcpListener;
import io.ffmepoll.socket.UnixListener;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A TCP or Unix domain listener whose {@link #accept()} parks the calling thread (virtual or
 * platform) until a connection arrives, and hands out {@link BlockingStream}s.
 * <p>Registered once with a {@link Poller}, edge-triggered, like the streams. Several threads
 * may accept at once; they take turns. {@link #close()} is thread-safe and wakes blocked
 * acceptors with a {@link SocketException}.
 * {@snippet :
 * try (BlockingListener listener = BlockingListener.bind(new InetSocketAddress("127.0.0.1", 8080), 1024)) {
 *     listener.setAcceptTimeout(Duration.ofSeconds(30));
 *     for (;;) {
 *         BlockingStream s = listener.accept();           // SocketTimeoutException after 30 s idle
 *         Thread.ofVirtual().start(() -> serve(s));
 *     }
 * }
 * }
 */
public final class BlockingListener extends Blocking {

    private final StreamListener listener;
    private volatile long acceptTimeoutNanos;
    /** Threads accepting at once take turns: one at a time is the listener's waiter. */
    private final ReentrantLock turn = new ReentrantLock();

    private BlockingListener(StreamListener listener) throws IOException {
        super(listener);
        this.listener = listener;
    }

    /**
     * Binds and listens on {@code local}: TCP for an {@link InetSocketAddress} (see
     * {@link TcpListener#bind(InetSocketAddress, int, Option.Value[])}), else a Unix domain path
     * or abstract name (see {@link UnixListener#bind}). Thread-safe.
     * @param local where to listen: a resolved {@link InetSocketAddress} (port 0 lets the kernel
     *        choose; read it back with {@link #localAddress()}), a Unix domain path or an
     *        abstract name
     * @param backlog the accept queue length (the kernel caps it at {@code net.core.somaxconn})
     * @param options socket options set before binding
     * @return the listener, registered with a poller, ready for {@link #accept()}
     * @throws IOException if the poller registration fails (ENOSPC past
     *         {@code max_user_watches}); the socket is closed
     * @throws NativeIOException EADDRINUSE, EACCES, ...; nothing is left open
     */
    public static BlockingListener bind(SocketAddress local, int backlog, Option.Value<?>... options)
            throws IOException {
        Objects.requireNonNull(local, "local");
        StreamListener l = local instanceof InetSocketAddress inet ? TcpListener.bind(inet, backlog, options)
                : UnixListener.bind(local, backlog, options);
        return new BlockingListener(l);
    }

    /**
     * Makes a listening socket blocking (registers it; if that fails, {@code listener} is
     * closed). Use it through this object from now on.
     * @param listener an open, listening socket; from now on this object owns it
     * @return the blocking listener wrapping {@code listener}
     * @throws IOException if the poller registration fails (ENOSPC past
     *         {@code max_user_watches}); {@code listener} is then closed
     * @throws IllegalStateException if {@code listener} is closed
     */
    public static BlockingListener of(StreamListener listener) throws IOException {
        Objects.requireNonNull(listener, "listener");
        if (!listener.isOpen()) throw new IllegalStateException(listener + " is closed");
        return new BlockingListener(listener);
    }

    /**
     * The listening socket, for options and its address; accept through this object only.
     * Thread-safe.
     * @return the socket this object wraps
     */
    public StreamListener socket() {
        return listener;
    }

    /**
     * The bound address. Thread-safe.
     * @return the address the kernel bound, with the real port after binding port 0
     * @throws SocketException if this listener is closed
     */
    public SocketAddress localAddress() throws IOException {
        ensureOpen();
        try {
            return listener.localAddress();
        } catch (IllegalStateException e) {
            throw closedOr(e);
        }
    }

    /**
     * Sets the most {@link #accept()} waits; {@link Duration#ZERO} (the default) waits forever.
     * Thread-safe.
     * @param timeout the longest an accept that starts afterwards parks; {@link Duration#ZERO}
     *        for no limit
     * @throws IllegalArgumentException if negative
     */
    public void setAcceptTimeout(Duration timeout) {
        acceptTimeoutNanos = BlockingStream.nanos(timeout, "timeout");
    }

    /**
     * Accepts a connection, parking until one arrives. Thread-safe: concurrent acceptors take
     * turns (a lock, on which virtual threads park without pinning their carrier).
     * @return the connection, blocking, registered with a poller
     * @throws SocketTimeoutException past the accept timeout; the listener stays usable
     * @throws SocketException if the listener is closed, before or while waiting
     * @throws InterruptedIOException if the thread is interrupted while waiting
     * @throws NativeIOException EMFILE/ENFILE when out of descriptors (the connection stays
     *         queued), ECONNABORTED
     */
    public BlockingStream accept() throws IOException {
        long timeout = acceptTimeoutNanos;
        long deadline = deadline(timeout);
        try {
            if (timeout == 0) turn.lockInterruptibly();
            else if (!turn.tryLock(timeout, TimeUnit.NANOSECONDS)) throw new SocketTimeoutException("accept timed out");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("accept interrupted");
        }
        try {
            for (;;) {
                ensureOpen();
                int seq = readSeq;
                StreamSocket s;
                try {
                    s = listener.accept();
                } catch (IllegalStateException e) {
                    throw closedOr(e);
                }
                if (s != null) return BlockingStream.of(s);
                await(true, seq, deadline, "accept");
            }
        } finally {
            turn.unlock();
        }
    }
}
