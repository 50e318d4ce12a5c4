package io.ffmepoll.shared;

/**
 * A snapshot of a {@link SharedServer}'s counters, each a sum since the server started.
 * @param workers worker threads
 * @param accepted connections accepted
 * @param open connections open now
 * @param events connection events workers took from the epoll instance
 * @param rearms {@code epoll_ctl(EPOLL_CTL_MOD)} calls that re-armed a one-shot registration:
 *        the model's cost per handled event, which the edge-triggered reactor does not pay
 * @param staleEvents events dropped because their connection was closed or run by another thread
 * @param closed connections closed
 */
public record SharedCounters(int workers, long accepted, long open, long events, long rearms, long staleEvents,
                             long closed) {

    /**
     * Re-arms per connection event: about 1 in this model.
     * @return {@link #rearms()} divided by {@link #events()}, or 0 before any event
     */
    public double rearmsPerEvent() {
        return events == 0 ? 0 : rearms / (double) events;
    }
}
