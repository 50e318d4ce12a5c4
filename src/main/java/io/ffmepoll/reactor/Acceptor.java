package io.ffmepoll.reactor;

import io.ffmepoll.epoll.Errors;
import io.ffmepoll.epoll.EventFd;
import io.ffmepoll.epoll.Interest;
import io.ffmepoll.epoll.NativeIOException;
import io.ffmepoll.socket.Option;
import io.ffmepoll.socket.StreamListener;
import io.ffmepoll.socket.StreamSocket;
import io.ffmepoll.socket.TcpStream;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Accepts connections from one listener on one loop. The listener is either this loop's own
 * ({@code SO_REUSEPORT}: the kernel spreads connections over the loops' listeners) or shared
 * by every loop ({@code EPOLLEXCLUSIVE}: the kernel wakes one of them per connection).
 *
 * <h2>Out of descriptors</h2>
 * When {@code accept4} fails with {@code EMFILE}/{@code ENFILE} the pending connection stays in
 * the backlog and the listener stays readable: retrying at once would spin. Instead the
 * acceptor closes a reserve descriptor it holds, accepts and closes what is pending (those
 * clients see a close rather than a hang), reopens the reserve and pauses accepting for the
 * backoff before trying again. Connections already open are served throughout.
 */
final class Acceptor extends Registration implements Stoppable {

    private static final int ACCEPT_BUDGET = 64;

    private final EventLoop loop;
    private final StreamListener listener;
    private final boolean ownsListener;
    private final Supplier<? extends Handler> handlers;
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private EventFd reserve;
    private boolean backingOff;
    private Timeout backoff;
    private boolean active;
    private boolean exhausted;   // in an out-of-descriptors episode: logged once, until an accept succeeds

    /** For a shared listener: acceptors not yet stopped; the last one to stop closes it. */
    private final AtomicInteger sharers;

    /**
     * @param sharers null if this acceptor owns {@code listener}; else the count of acceptors
     *        sharing it, the last of which closes it when it stops
     */
    Acceptor(EventLoop loop, StreamListener listener, AtomicInteger sharers, Supplier<? extends Handler> handlers) {
        this.loop = loop;
        this.listener = listener;
        this.ownsListener = sharers == null;
        this.sharers = sharers;
        this.handlers = handlers;
    }

    /** Registers with the loop; loop thread only. */
    void start(boolean exclusive) throws NativeIOException {
        reserve = openReserve();
        Interest interest = exclusive ? Interest.of(Interest.IN, Interest.ET, Interest.EXCLUSIVE)
                : Interest.of(Interest.IN, Interest.ET);
        try {
            loop.register(this, listener, interest);
        } catch (NativeIOException | RuntimeException e) {
            EventLoop.closeQuietly(reserve);
            throw e;
        }
        active = true;
    }

    @Override
    public EventLoop loop() {
        return loop;
    }

    /** Completes once this acceptor stopped and (if it owns it) closed its listener. */
    @Override
    public CompletableFuture<Void> stopped() {
        return stopped;
    }

    @Override
    void onEvents(int bits) {
        accept();
    }

    @Override
    void onStillReady() {
        accept();
    }

    private void accept() {
        if (!active || backingOff) return;
        for (int k = 0; k < ACCEPT_BUDGET; k++) {
            StreamSocket s;
            try {
                s = listener.accept();
            } catch (NativeIOException e) {
                loop.count(EventLoop.ACCEPT_ERRORS, 1);
                int errno = e.errno();
                if (errno == Errors.EMFILE || errno == Errors.ENFILE) {
                    outOfDescriptors(e);
                    return;
                }
                if (errno == Errors.ECONNABORTED || errno == Errors.EPERM) continue;  // that one is gone
                // ENOBUFS, ENOMEM and the unexpected: pause rather than retry in a tight loop
                Log.log(System.Logger.Level.WARNING, "accept failed on " + listener + "; pausing", e);
                pause();
                return;
            } catch (IllegalStateException closed) {
                return;   // listener closed by another loop sharing it
            }
            if (s == null) return;   // EAGAIN: drained
            if (exhausted) {
                exhausted = false;
                Log.log(System.Logger.Level.INFO, () -> "accept on " + listener + " works again");
            }
            open(s);
            if (!active) return;
        }
        loop.markReady(this);   // more may be pending; let connections have a turn first
    }

    private void open(StreamSocket s) {
        Handler h;
        try {
            if (loop.config.tcpNoDelay() && s instanceof TcpStream) s.setOption(Option.TCP_NODELAY, true);
            h = handlers.get();
            if (h == null) throw new NullPointerException("handler factory returned null");
        } catch (Throwable t) {
            loop.count(EventLoop.FAILURES, 1);
            Log.log(System.Logger.Level.WARNING, "cannot set up accepted connection on " + listener, t);
            s.close();
            return;
        }
        try {
            Connection.open(loop, s, h);
        } catch (NativeIOException | RuntimeException e) {
            Log.log(System.Logger.Level.WARNING, "cannot register accepted connection", e);
        }
    }

    private void outOfDescriptors(NativeIOException e) {
        if (!exhausted) {
            exhausted = true;
            Log.log(System.Logger.Level.WARNING, () -> "accept on " + listener + ": " + e.errnoName()
                    + "; refusing pending connections and pausing accept for "
                    + loop.config.acceptBackoffNanos() / 1_000_000 + " ms at a time");
        }
        if (reserve != null) {
            reserve.close();
            reserve = null;
            // With one descriptor free, take the pending connections off the backlog and close
            // them, so their clients learn at once instead of waiting for a timeout.
            for (int k = 0; k < ACCEPT_BUDGET; k++) {
                try {
                    StreamSocket s = listener.accept();
                    if (s == null) break;
                    s.close();
                } catch (NativeIOException | IllegalStateException again) {
                    break;
                }
            }
            reserve = openReserve();
        }
        pause();
    }

    private void pause() {
        backingOff = true;
        backoff = loop.scheduleAt(System.nanoTime() + loop.config.acceptBackoffNanos(), () -> {
            backingOff = false;
            if (reserve == null) reserve = openReserve();
            accept();
        });
    }

    private static EventFd openReserve() {
        try {
            return EventFd.open();
        } catch (NativeIOException e) {
            return null;   // out of descriptors right now; retried after the next backoff
        }
    }

    /** Stops accepting and releases the listener (if owned) and the reserve. */
    @Override
    public void stop() {
        if (!active) {
            stopped.complete(null);
            return;
        }
        active = false;
        if (backoff != null) backoff.cancel();
        if (ownsListener) {
            loop.release(this);
            listener.close();   // closing removes it from the epoll set
        } else {
            loop.deregister(this, listener);
            if (sharers.decrementAndGet() == 0) listener.close();
        }
        EventLoop.closeQuietly(reserve);
        reserve = null;
        stopped.complete(null);
    }

    @Override
    void beginShutdown() {
        stop();
    }

    @Override
    void terminate() {
        stop();
    }

    @Override
    public String toString() {
        return "Acceptor[" + listener + ", loop " + loop.index() + "]";
    }
}
