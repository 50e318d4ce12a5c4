package io.ffmepoll.reactor;

import io.ffmepoll.epoll.Descriptor;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * An address a {@link Reactor} serves: one listener per loop bound with {@code SO_REUSEPORT}
 * (TCP), one listener shared by all loops with {@code EPOLLEXCLUSIVE} (Unix domain), or one
 * {@code SO_REUSEPORT} datagram socket per loop (UDP). Closing it stops accepting (receiving);
 * connections already accepted stay open.
 * {@snippet :
 * try (Listener l = reactor.listen(new InetSocketAddress("127.0.0.1", 0), Echo::new)) {
 *     int port = l.port();
 *     // ...
 * }
 * }
 */
public final class Listener implements AutoCloseable {

    private final SocketAddress address;
    private final List<? extends Stoppable> acceptors;
    private final Descriptor shared;

    Listener(SocketAddress address, List<? extends Stoppable> acceptors, Descriptor shared) {
        this.address = address;
        this.acceptors = List.copyOf(acceptors);
        this.shared = shared;
    }

    /**
     * The bound address: with the kernel-chosen port if port 0 was asked for.
     * @return the local address of the listening socket
     */
    public SocketAddress localAddress() {
        return address;
    }

    /**
     * The bound TCP port.
     * @return the port
     * @throws IllegalStateException for a Unix-domain listener
     */
    public int port() {
        if (address instanceof InetSocketAddress a) return a.getPort();
        throw new IllegalStateException("not an internet listener: " + address);
    }

    /** Stops accepting on every loop and closes the listening descriptors. Idempotent. */
    @Override
    public void close() {
        boolean inLoop = false;
        CompletableFuture<?>[] done = new CompletableFuture<?>[acceptors.size()];
        for (int i = 0; i < done.length; i++) {
            Stoppable a = acceptors.get(i);
            done[i] = a.stopped();
            try {
                a.loop().execute(a::stop);
            } catch (RejectedExecutionException shuttingDown) {
                // the loop stops its acceptors itself as it shuts down
            }
            inLoop |= a.loop().inEventLoop();
        }
        if (!inLoop) {
            try {
                CompletableFuture.allOf(done).get(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception ignored) {
                // a loop that does not answer is terminating and closes what it holds
            }
        }
        if (shared != null) shared.close();
    }

    @Override
    public String toString() {
        return "Listener[" + address + ", " + acceptors.size() + " loop(s)]";
    }
}
