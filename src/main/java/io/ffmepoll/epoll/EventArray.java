package io.ffmepoll.epoll;

import io.ffmepoll.internal.sys.EpollEventLayout;
import io.ffmepoll.internal.sys.NativeAccess;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The array {@code epoll_wait} fills: native memory in an arena this object owns.
 * <p>Reading an event allocates nothing. When a wait fills the whole array, more fds may be
 * ready than it could report; {@link #growIfFull(int)} doubles it (up to a bound) so the next
 * wait sees them all instead of starving the fds the kernel lists last.
 * <p>Use after {@link #close()} throws {@link IllegalStateException}. Not thread-safe: one
 * thread waits into an array at a time.
 * {@snippet :
 * try (Epoll epoll = Epoll.open(); EventArray events = EventArray.allocate(64)) {
 *     int n = epoll.wait(events, 0);
 *     for (int i = 0; i < n; i++) {
 *         long token = events.token(i);
 *         int ready = events.events(i);
 *     }
 *     events.growIfFull(n);
 * }
 * }
 */
public final class EventArray implements AutoCloseable {

    static {
        NativeAccess.check();   // before anything reaches the bindings: a denial names its flag
    }

    /** The most events one array holds after growing. */
    public static final int MAX_CAPACITY = 1 << 16;

    private Arena arena;
    private MemorySegment segment;
    private int capacity;
    private boolean closeRequested;
    /** The arena whose memory a wait in progress hands the kernel, or null: freed only after it. */
    private Arena waiting;

    /** Test seam: run by {@link #beginWait()} after it took the segment; null in production. */
    static volatile Runnable beginWaitHook;

    private EventArray(int capacity) {
        this.arena = Arena.ofShared();
        this.segment = arena.allocate(EpollEventLayout.SIZE * capacity, 8);
        this.capacity = capacity;
    }

    /**
     * An array for {@code capacity} events.
     * @param capacity the most events one wait returns, before growing
     * @return a new array, owning native memory until {@link #close()}
     * @throws IllegalArgumentException unless {@code 0 < capacity <= MAX_CAPACITY}
     */
    public static EventArray allocate(int capacity) {
        if (capacity <= 0 || capacity > MAX_CAPACITY) {
            throw new IllegalArgumentException("capacity must be in 1.." + MAX_CAPACITY + ": " + capacity);
        }
        return new EventArray(capacity);
    }

    /**
     * How many events a wait can return.
     * @return the current capacity, which {@link #growIfFull(int)} may double
     */
    public int capacity() {
        return capacity;
    }

    /**
     * The {@code EPOLL*} bits of event {@code i}.
     * @param i an index below the count the last wait returned
     * @return the ready flags, to test with {@link Interest#bits()}
     * @throws IndexOutOfBoundsException if {@code i} is not below {@link #capacity()}
     */
    public int events(int i) {
        return EpollEventLayout.events(segment, check(i));
    }

    /**
     * The 64-bit token registered with the fd of event {@code i}.
     * @param i an index below the count the last wait returned
     * @return the token given to {@link Epoll#add} or {@link Epoll#modify}
     * @throws IndexOutOfBoundsException if {@code i} is not below {@link #capacity()}
     */
    public long token(int i) {
        return EpollEventLayout.data(segment, check(i));
    }

    /**
     * Doubles the capacity if the last wait returned {@code ready == capacity()} events.
     * @param ready the count the last wait into this array returned
     * @return whether it grew
     */
    public boolean growIfFull(int ready) {
        if (ready < capacity || capacity >= MAX_CAPACITY) return false;
        grow();
        return true;
    }

    private synchronized void grow() {
        if (closeRequested) throw new IllegalStateException("EventArray is closed");
        int bigger = Math.min(MAX_CAPACITY, capacity * 2);
        Arena next = Arena.ofShared();
        MemorySegment s = next.allocate(EpollEventLayout.SIZE * bigger, 8);
        Arena old = arena;
        arena = next;
        segment = s;
        capacity = bigger;
        // A wait in progress still hands the old memory to the kernel: endWait() frees it.
        if (old != waiting) old.close();
    }

    /**
     * Frees the native memory. Idempotent and safe from any thread. If a wait into the array is
     * in progress, the memory is freed by the waiting thread when that wait returns; the array
     * counts as closed from now on either way.
     */
    @Override
    public synchronized void close() {
        closeRequested = true;
        if (arena != waiting && arena.scope().isAlive()) arena.close();
    }

    /**
     * Called by {@link Epoll} before a wait: the segment to hand the kernel, kept alive until
     * {@link #endWait()} even if the array grows or closes meanwhile. The wait must size the
     * call from this segment, never from {@link #capacity()}, which a grow may already have
     * changed.
     * @throws IllegalStateException if closed
     */
    synchronized MemorySegment beginWait() {
        if (closeRequested) throw new IllegalStateException("EventArray is closed");
        waiting = arena;
        MemorySegment s = segment;
        Runnable hook = beginWaitHook;
        if (hook != null) hook.run();
        return s;
    }

    /** Called by {@link Epoll} when a wait begun with {@link #beginWait()} has returned. */
    synchronized void endWait() {
        Arena used = waiting;
        waiting = null;
        if (used != null && used != arena) used.close();             // grown during the wait
        if (closeRequested && arena.scope().isAlive()) arena.close(); // closed during the wait
    }

    private int check(int i) {
        if (i < 0 || i >= capacity) throw new IndexOutOfBoundsException(i);
        return i;
    }
}
