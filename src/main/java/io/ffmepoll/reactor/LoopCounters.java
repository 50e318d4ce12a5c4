package io.ffmepoll.reactor;

/**
 * A snapshot of one event loop's counters, readable at any time from any thread through
 * {@link EventLoop#counters()} or {@link Reactor#counters()}. Each value is monotonic except
 * {@code connections}; a snapshot is not atomic across fields.
 * {@snippet :
 * for (LoopCounters c : reactor.counters()) {
 *     System.err.println(c);   // one line per loop
 * }
 * }
 * @param loop the loop's index in its reactor
 * @param waits {@code epoll_wait} calls
 * @param events events those waits returned
 * @param epollCtls {@code epoll_ctl} calls made by the loop (registrations only: never per I/O)
 * @param wakeupsSent eventfd writes by other threads to wake the loop (at most one per sleep)
 * @param wakeupsReceived eventfd writes the loop received (the eventfd's count, summed over its
 *        reads): equal to {@code wakeupsSent} once the loop has caught up
 * @param tasks tasks run from {@link EventLoop#execute}
 * @param timersFired scheduled timeouts run
 * @param accepted connections accepted or registered
 * @param connections connections open now
 * @param bytesRead bytes read from connections
 * @param bytesWritten bytes written to connections
 * @param budgetYields times a connection used its read budget and went to the still-ready list
 * @param acceptErrors failed accepts (EMFILE, ENFILE, ...)
 * @param handlerFailures connections closed because a handler threw
 * @param waitNanos time spent inside {@code epoll_wait}, the wait in progress included
 * @param workNanos time spent outside it from the first wait on (start-up is not work), the
 *        work in progress included
 * @param eventCapacity the event array's size now (it doubles when a wait fills it)
 * @param writeCalls {@code send}/{@code sendmsg} calls made to write to connections (each
 *        gathering write is one), those that met a full socket included: with
 *        {@code bytesWritten}, how well writes are gathered
 */
public record LoopCounters(int loop, long waits, long events, long epollCtls, long wakeupsSent,
                           long wakeupsReceived, long tasks, long timersFired, long accepted, long connections,
                           long bytesRead, long bytesWritten, long budgetYields, long acceptErrors,
                           long handlerFailures, long waitNanos, long workNanos, int eventCapacity,
                           long writeCalls) {


    /**
     * Mean events per wait, 0 before the first wait.
     * @return events returned divided by waits
     */
    public double eventsPerWait() {
        return waits == 0 ? 0 : (double) events / waits;
    }

    /**
     * Fraction of time spent working rather than waiting since the first wait, 0..1: near 0 for an idle loop.
     * @return the busy fraction, 0 to 1
     */
    public double busyFraction() {
        long total = waitNanos + workNanos;
        return total == 0 ? 0 : (double) workNanos / total;
    }

    @Override
    public String toString() {
        return String.format(
                "loop %d: waits=%d events=%d (%.2f/wait) epoll_ctl=%d wakeups=%d/%d tasks=%d timers=%d"
                        + " accepted=%d open=%d read=%d written=%d budgetYields=%d acceptErrors=%d"
                        + " handlerFailures=%d wait=%.1fms work=%.1fms (busy %.1f%%) eventArray=%d writeCalls=%d",
                loop, waits, events, eventsPerWait(), epollCtls, wakeupsSent, wakeupsReceived, tasks, timersFired,
                accepted, connections, bytesRead, bytesWritten, budgetYields, acceptErrors, handlerFailures,
                waitNanos / 1e6, workNanos / 1e6, busyFraction() * 100, eventCapacity, writeCalls);
    }
}
