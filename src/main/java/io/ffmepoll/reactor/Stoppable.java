package io.ffmepoll.reactor;

import java.util.concurrent.CompletableFuture;

/** A per-loop part of a {@link Listener}: an acceptor or a datagram endpoint. */
interface Stoppable {
    EventLoop loop();

    /** Stops and releases its descriptors; loop thread only. */
    void stop();

    /** Completes once {@link #stop()} ran. */
    CompletableFuture<Void> stopped();
}
