package io.ffmepoll.reactor;

import io.ffmepoll.epoll.Descriptor;
import io.ffmepoll.epoll.Interest;
import io.ffmepoll.epoll.NativeIOException;
import io.ffmepoll.socket.DatagramBatch;
import io.ffmepoll.socket.UdpSocket;

import java.lang.foreign.MemorySegment;
import java.net.SocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A UDP socket served by one {@link EventLoop}: datagrams are received in batches
 * ({@code recvmmsg}) and what the handler sends while handling a batch goes out in one
 * {@code sendmmsg}.
 * <p>UDP has no backpressure: when the socket's send buffer is full a datagram is dropped and
 * counted ({@link #dropped()}), never queued without bound. Every datagram up to the largest
 * UDP payload (65,527 bytes over IPv6, 65,507 over IPv4) is delivered whole; a longer one
 * (only an IPv6 jumbogram can be) is dropped and counted ({@link #truncated()}), never handed
 * on cut short. Methods run on the loop thread.
 * <p>A handler that throws is counted in the loop's {@code handlerFailures}; the first failure of
 * an endpoint is logged at WARNING with its stack trace, later ones at DEBUG (a remote peer
 * that triggers a handler bug on every datagram must not flood the log), and the total at
 * WARNING when the endpoint stops.
 * {@snippet :
 * public void onDatagram(DatagramEndpoint ep, MemorySegment data, SocketAddress sender) {
 *     ep.send(data, sender);   // batched with the other replies of this wake
 * }
 * }
 */
public final class DatagramEndpoint extends Registration implements Stoppable {

    private static final int BATCH = 32;
    /**
     * The largest UDP payload: the 16-bit UDP length less its 8-byte header. IPv6 reaches it;
     * IPv4's own 20-byte header leaves 65,507.
     */
    static final int MAX_DATAGRAM = 65_527;

    private final EventLoop loop;
    private final UdpSocket socket;
    private final DatagramHandler handler;
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private DatagramBatch in;
    private DatagramBatch out;
    private int pending;
    private long dropped;
    private long truncated;
    private long handlerFailures;
    private long receiveCalls;
    /** While receives keep failing: the pause before the next try, and the try scheduled. */
    private long retryNanos;
    private Timeout retry;
    private final int messageSize;
    private boolean active;
    private boolean inputPending = true;
    private boolean receiving;   // inside a receive batch: sends are batched until it ends

    DatagramEndpoint(EventLoop loop, UdpSocket socket, DatagramHandler handler) {
        this(loop, socket, handler, MAX_DATAGRAM);
    }

    /** With receive slots of {@code messageSize} bytes: less than MAX_DATAGRAM only in tests. */
    DatagramEndpoint(EventLoop loop, UdpSocket socket, DatagramHandler handler, int messageSize) {
        this.loop = loop;
        this.socket = socket;
        this.handler = handler;
        this.messageSize = messageSize;
    }

    /** Registers with the loop; loop thread only. On failure the socket is closed. */
    void start() throws NativeIOException {
        try {
            in = DatagramBatch.allocate(BATCH, messageSize);
            out = DatagramBatch.allocate(BATCH, MAX_DATAGRAM);
            loop.register(this, socket, Interest.of(Interest.IN, Interest.ET));
        } catch (NativeIOException | RuntimeException e) {
            release();
            throw e;
        }
        active = true;
    }

    @Override
    public EventLoop loop() {
        return loop;
    }

    /**
     * The socket, for options and its address. Do not close it: the endpoint owns it.
     * @return the endpoint's UDP socket
     */
    public UdpSocket socket() {
        return socket;
    }

    /**
     * Datagrams dropped because the send buffer was full or a send failed. Loop thread.
     * @return the count since the endpoint opened
     */
    public long dropped() {
        return dropped;
    }

    /**
     * Datagrams received longer than the largest UDP payload and dropped rather than delivered
     * cut short. Loop thread.
     * @return the count since the endpoint opened
     */
    public long truncated() {
        return truncated;
    }

    /** recvmmsg calls made, for tests. Loop thread. */
    long receiveCalls() {
        return receiveCalls;
    }

    /**
     * Sends one datagram to {@code target}: queued in this wake's batch and sent when the batch
     * fills or the wake ends (from outside a handler call: at once).
     * @param data the datagram, copied into the batch
     * @param target a resolved address of the socket's family
     * @throws IllegalArgumentException if {@code data} is over 65,527 bytes (the kernel refuses an IPv4
     *         datagram over 65,507 with EMSGSIZE: it is counted as dropped)
     * @throws IllegalStateException off the loop thread or after close
     */
    public void send(MemorySegment data, SocketAddress target) {
        if (!loop.inEventLoop()) throw new IllegalStateException("use loop().execute(...) to send from another thread");
        if (!active) throw new IllegalStateException("datagram endpoint is closed");
        if (data.byteSize() > MAX_DATAGRAM) throw new IllegalArgumentException("datagram over " + MAX_DATAGRAM + " bytes");
        if (pending == BATCH) flush();
        out.set(pending++, data, target);
        if (!receiving) flush();
    }

    private void flush() {
        int off = 0;
        while (off < pending) {
            int n;
            try {
                n = socket.send(out, off, pending - off);
            } catch (NativeIOException e) {
                // sendmmsg fails only when its first datagram does (EMSGSIZE, a refused port's
                // ICMP): that datagram is lost, not the socket
                Log.log(System.Logger.Level.DEBUG, () -> this + ": send failed: " + e);
                dropped++;
                off++;
                continue;
            }
            if (n == Descriptor.WOULD_BLOCK || n == 0) break;   // send buffer full: drop the rest
            long bytes = 0;
            for (int i = off; i < off + n; i++) bytes += out.length(i);
            loop.count(EventLoop.WRITTEN, bytes);
            off += n;
        }
        dropped += pending - off;
        pending = 0;
    }

    @Override
    void onEvents(int bits) {
        if ((bits & (Interest.IN.bits() | Interest.ERR.bits())) != 0) inputPending = true;
        receive();
    }

    @Override
    void onStillReady() {
        receive();
    }

    private void receive() {
        if (!active || !inputPending) return;
        servedIn = loop.iteration;
        receiving = true;
        int budget = loop.config.readBudget();
        boolean failedLast = false;
        try {
            while (budget > 0) {
                int n;
                receiveCalls++;
                try {
                    n = socket.receive(in);
                } catch (NativeIOException e) {
                    Log.log(System.Logger.Level.DEBUG, () -> this + ": receive: " + e);
                    // A pending ICMP error (ECONNREFUSED) is reported once, and datagrams may be
                    // queued behind it: read again. A second error in a row may persist (EPERM
                    // from a seccomp profile) or pass (ENOMEM, ENOBUFS) with datagrams still
                    // queued and no edge to come for them: try again after a pause that doubles
                    // while the errors go on, so nothing is stranded and nothing spins.
                    if (failedLast) {
                        retryLater();
                        return;
                    }
                    failedLast = true;
                    continue;
                }
                failedLast = false;
                retryNanos = 0;
                if (n == Descriptor.WOULD_BLOCK) {
                    inputPending = false;
                    return;
                }
                for (int i = 0; i < n; i++) {
                    if (in.truncated(i)) {
                        truncated++;
                        budget -= messageSize + 1;
                        continue;
                    }
                    MemorySegment m = in.message(i);
                    budget -= (int) m.byteSize() + 1;
                    loop.count(EventLoop.READ, m.byteSize());
                    try {
                        handler.onDatagram(this, m, in.sender(i));
                    } catch (RuntimeException | Error t) {
                        handlerFailed(t);
                    }
                    if (!active) return;
                }
                if (n < BATCH) {
                    // recvmmsg (net/socket.c, do_recvmmsg) stops short of vlen only when a receive
                    // inside it failed: with EAGAIN, the queue was empty then, and a datagram
                    // queued since brings a new edge; with another error, which it keeps in sk_err
                    // for the next call, that error was set during this call and its
                    // sk_error_report wakeup brings an edge too. The other ways to stop short, a
                    // timeout and MSG_OOB, do not apply (no timeout; UDP never sets MSG_OOB). So
                    // another call now would only find nothing.
                    inputPending = false;
                    return;
                }
            }
            loop.count(EventLoop.YIELDS, 1);
            loop.markReady(this);
        } finally {
            receiving = false;
            if (active && pending > 0) flush();
        }
    }

    private static final long RETRY_FIRST_NANOS = 1_000_000, RETRY_MAX_NANOS = 100_000_000;

    private void retryLater() {
        if (retry != null) return;
        retryNanos = retryNanos == 0 ? RETRY_FIRST_NANOS : Math.min(RETRY_MAX_NANOS, 2 * retryNanos);
        try {
            retry = loop.schedule(retryNanos, TimeUnit.NANOSECONDS, () -> {
                retry = null;
                receive();
            });
        } catch (RejectedExecutionException ending) {
            // the loop is terminating: nothing more is received
        }
    }

    private void handlerFailed(Throwable t) {
        loop.count(EventLoop.FAILURES, 1);
        if (handlerFailures++ == 0) {
            Log.log(System.Logger.Level.WARNING, this + ": handler failed; further failures of this endpoint"
                    + " are logged at DEBUG and counted in the loop's handlerFailures", t);
        } else {
            Log.log(System.Logger.Level.DEBUG, () -> this + ": handler failed again: " + t);
        }
    }

    @Override
    public CompletableFuture<Void> stopped() {
        return stopped;
    }

    @Override
    public void stop() {
        if (!active) {
            stopped.complete(null);
            return;
        }
        active = false;
        if (retry != null) retry.cancel();
        loop.release(this);
        release();
        if (handlerFailures > 1) {
            Log.log(System.Logger.Level.WARNING, this + ": the handler failed " + handlerFailures + " times in all");
        }
        try {
            handler.onClose(this, null);
        } catch (Throwable t) {
            Log.log(System.Logger.Level.WARNING, this + ": onClose failed", t);
        }
        stopped.complete(null);
    }

    private void release() {
        socket.close();
        if (in != null) in.close();
        if (out != null) out.close();
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
        return "DatagramEndpoint[" + socket + ", loop " + loop.index() + "]";
    }
}
