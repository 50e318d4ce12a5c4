package io.ffmepoll.reactor;

/**
 * Something an {@link EventLoop} watches: a connection, a listener, a datagram socket.
 * Every method runs on the loop thread.
 */
abstract class Registration {

    /** The token in {@code epoll_data}; set when added to the loop's {@link TokenTable}. */
    long token;
    /** Whether this is on the loop's still-ready list. */
    boolean queuedReady;
    /** The loop iteration in which this last used a read budget: one budget per iteration. */
    long servedIn = -1;

    /** Handles the {@code EPOLL*} bits of one event. */
    abstract void onEvents(int events);

    /** Continues work left undone by a budget: called from the still-ready list. */
    abstract void onStillReady();

    /** Graceful shutdown has begun: stop accepting, finish or close. */
    abstract void beginShutdown();

    /** The loop is terminating: release everything now. */
    abstract void terminate();
}
