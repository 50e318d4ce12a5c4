package io.ffmepoll.reactor;

import java.util.Objects;

/**
 * A task scheduled on an {@link EventLoop} for a {@link System#nanoTime()} deadline.
 * <p>Cancel from any thread; a cancelled timeout never runs its task (unless it had already
 * started). Deadlines are kept in nanoseconds and the loop sleeps in {@code epoll_pwait2} with
 * a nanosecond timeout, so a 300 µs timeout fires after 300 µs, not after a rounded-up
 * millisecond.
 * {@snippet :
 * Timeout t = loop.schedule(Duration.ofMillis(250), () -> System.out.println("late"));
 * boolean cancelled = t.cancel();   // true: it will not run
 * }
 */
public final class Timeout {

    private static final int PENDING = 0, RAN = 1, CANCELLED = 2;

    private final EventLoop loop;
    private final Runnable task;
    final long deadline;
    final long sequence;
    private volatile int state;

    Timeout(EventLoop loop, long deadline, long sequence, Runnable task) {
        this.loop = loop;
        this.deadline = deadline;
        this.sequence = sequence;
        this.task = Objects.requireNonNull(task, "task");
    }

    /**
     * The {@link System#nanoTime()} at or after which the task runs.
     * @return the deadline
     */
    public long deadline() {
        return deadline;
    }

    /**
     * The loop that runs the task.
     * @return the loop the task was scheduled on
     */
    public EventLoop loop() {
        return loop;
    }

    /**
     * Cancels the timeout.
     * @return true if this call cancelled it; false if it had already run or been cancelled
     */
    public boolean cancel() {
        synchronized (this) {
            if (state != PENDING) return false;
            state = CANCELLED;
        }
        loop.timerCancelled();
        return true;
    }

    /**
     * Whether {@link #cancel()} succeeded.
     * @return true once cancelled before running
     */
    public boolean isCancelled() {
        return state == CANCELLED;
    }

    /**
     * Whether the task has run (or started to).
     * @return true once the task has started
     */
    public boolean hasRun() {
        return state == RAN;
    }

    /** Claims the timeout for running; false if cancelled. Loop thread only. */
    boolean claim() {
        synchronized (this) {
            if (state != PENDING) return false;
            state = RAN;
            return true;
        }
    }

    Runnable task() {
        return task;
    }

    @Override
    public String toString() {
        return "Timeout[deadline=" + deadline + (state == CANCELLED ? ", cancelled" : state == RAN ? ", ran" : "") + "]";
    }
}
