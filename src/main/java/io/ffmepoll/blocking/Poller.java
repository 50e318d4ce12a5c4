package io.ffmepoll.blocking;

import io.ffmepoll.epoll.Epoll;
import io.ffmepoll.epoll.EventArray;
import io.ffmepoll.epoll.Interest;
import io.ffmepoll.epoll.NativeIOException;
import io.ffmepoll.internal.gen.Linux;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * The threads that wake blocked {@link BlockingStream} and {@link BlockingListener} calls, each
 * polling an epoll instance of its own.
 * <p>Every socket is registered once, when it is made blocking, with
 * {@code EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLPRI|EPOLLET}, and never re-armed or removed: closing the socket
 * removes it from the epoll set. A thread that meets {@code EAGAIN} parks; the poller, on each
 * edge, advances the socket's read or write sequence and unparks the thread waiting in that
 * direction. So blocking costs no {@code epoll_ctl}, where a ONESHOT poller pays one per block.
 * <h2>Modes</h2>
 * By default ({@code -Dio.ffmepoll.blocking.pollerMode=virtual}) each poller is a virtual
 * thread: it polls its epoll instance without blocking, unparks the threads whose sockets are
 * ready (on a carrier, a push on the scheduler's queue, no system call), yields, and polls
 * again; with nothing ready it parks. One platform daemon thread waits on a master epoll
 * instance holding each poller's instance with {@code EPOLLONESHOT}, and unparks a poller when
 * its instance has events; the poller re-arms that one registration when it parks. So under
 * load a poller handles many sockets per wake, no platform thread is woken per message, and
 * the only {@code epoll_ctl} after registration is that re-arm, once per idle poller (the
 * JDK's pollers work the same way at this level; they also re-arm the socket each time a
 * thread blocks, which this package never does).
 * <p>With {@code pollerMode=platform} each poller is a platform daemon thread blocked in
 * {@code epoll_wait}, independent of the virtual-thread scheduler (for programs whose carriers
 * may all be pinned or busy), at the price of a wake of that thread per batch of events.
 * <p>Pollers start on first use ({@code -Dio.ffmepoll.blocking.pollers=N}, 1 by default;
 * sockets are spread over them in turn) and live as long as the JVM. Nothing polls in a loop
 * when idle: the blocking waits have no timeout. A wait that fills its event array doubles it,
 * up to {@link EventArray#MAX_CAPACITY}.
 * {@snippet :
 * Poller.Counters c = Poller.counters();
 * System.out.println(c.epollCtlCalls() + " epoll_ctl for " + c.parks() + " blocked calls");
 * }
 */
public final class Poller {

    /**
     * What the pollers have done since the JVM started, summed over all of them.
     * @param socketRegistrations {@code epoll_ctl} calls for sockets: one {@code ADD} per socket
     *        made blocking, never more
     * @param pollerRearms {@code epoll_ctl} calls re-arming a virtual poller in the master
     *        instance when it parks for want of events (and its first registration there)
     * @param waits {@code epoll_wait} calls returned
     * @param events events handled
     * @param unparks threads unparked by an event
     * @param stale events for sockets closed meanwhile, dropped
     * @param parks times a blocking call parked its thread for want of readiness
     */
    public record Counters(long socketRegistrations, long pollerRearms, long waits, long events, long unparks,
                           long stale, long parks) {
        /**
         * Every {@code epoll_ctl} made: socket registrations and poller re-arms.
         * @return {@link #socketRegistrations()} plus {@link #pollerRearms()}
         */
        public long epollCtlCalls() {
            return socketRegistrations + pollerRearms;
        }
    }

    /** The one registration every socket gets: never modified, never deleted. */
    static final Interest INTEREST = Interest.of(Interest.IN, Interest.OUT, Interest.RDHUP, Interest.PRI, Interest.ET);
    /** Events after which a short read no longer proves the next read would meet EAGAIN. */
    private static final int NOT_ONLY_DATA = Linux.EPOLLPRI() | Linux.EPOLLRDHUP() | Linux.EPOLLHUP() | Linux.EPOLLERR();
    private static final int READ_EVENTS = Linux.EPOLLIN() | Linux.EPOLLRDHUP() | Linux.EPOLLPRI()
            | Linux.EPOLLERR() | Linux.EPOLLHUP();
    private static final int WRITE_EVENTS = Linux.EPOLLOUT() | Linux.EPOLLERR() | Linux.EPOLLHUP();
    private static final int INITIAL_EVENTS = 256;
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Blocking[].class);
    private static final System.Logger LOGGER = System.getLogger("io.ffmepoll.blocking");

    private static final Object START = new Object();
    private static volatile Poller[] pollers;
    private static final AtomicLong NEXT = new AtomicLong();
    static final LongAdder PARKS = new LongAdder();

    private final Epoll epoll;
    private final EventArray events;
    private final AtomicLong ctlCalls = new AtomicLong();
    /** Written by the poller thread only; read by {@link #counters()}. */
    private volatile long waits, handled, unparks, stale;
    /** The poller's thread, virtual or platform; set before it starts. */
    private Thread thread;
    /** Advanced by the master thread (the only writer) when this poller's instance has events. */
    private volatile int wakeSeq;
    /** Virtual mode: the master, and this poller's index there; re-arms counted by the poller. */
    private Master master;
    private int index;
    private volatile long rearms;

    // The token table: token = generation << 32 | slot. Changed under the lock, read by the
    // poller thread without it (acquire loads of the array and its elements).
    private final Object lock = new Object();
    private volatile Blocking[] slots = new Blocking[64];
    private int[] freeSlots = new int[64];
    private int freeCount;
    private int used;
    private long generation;

    private Poller(Epoll epoll, EventArray events) {
        this.epoll = epoll;
        this.events = events;
    }

    /**
     * What every poller has done so far. Thread-safe; each number is read on its own, so the
     * set is not one instant's snapshot while sockets are busy.
     * @return the totals over all pollers since the first socket was made blocking; all zero
     *         before that
     */
    public static Counters counters() {
        Poller[] all = pollers;
        long ctl = 0, rearms = 0, waits = 0, events = 0, unparks = 0, stale = 0;
        if (all != null) {
            for (Poller p : all) {
                ctl += p.ctlCalls.get();
                rearms += p.rearms;
                waits += p.waits;
                events += p.handled;
                unparks += p.unparks;
                stale += p.stale;
            }
        }
        return new Counters(ctl, rearms, waits, events, unparks, stale, PARKS.sum());
    }

    /**
     * The poller for a new socket, starting the pollers on first use. A start that fails (out
     * of descriptors) leaves nothing open and is tried again by the next call.
     */
    static Poller next() throws NativeIOException {
        Poller[] all = pollers;
        if (all == null) all = start();
        return all[(int) Long.remainderUnsigned(NEXT.getAndIncrement(), all.length)];
    }

    private static Poller[] start() throws NativeIOException {
        synchronized (START) {
            Poller[] all = pollers;
            if (all != null) return all;
            int count = Math.max(1, Integer.getInteger("io.ffmepoll.blocking.pollers", 1));
            String mode = System.getProperty("io.ffmepoll.blocking.pollerMode", "virtual");
            if (!mode.equals("virtual") && !mode.equals("platform")) {
                throw new IllegalArgumentException("io.ffmepoll.blocking.pollerMode is virtual or platform, not '" + mode + "'");
            }
            boolean virtual = mode.equals("virtual");
            all = new Poller[count];
            int made = 0;
            Master master = null;
            try {
                for (; made < count; made++) all[made] = open();
                if (virtual) {
                    master = Master.open(all);
                }
            } catch (NativeIOException | RuntimeException | Error e) {
                for (int i = 0; i < made; i++) all[i].free();
                throw e;
            }
            for (int i = 0; i < count; i++) {
                Poller p = all[i];
                String name = "ffm-epoll-blocking-poller-" + i;
                p.thread = virtual ? Thread.ofVirtual().name(name).unstarted(p::runVirtual)
                        : Thread.ofPlatform().name(name).daemon().unstarted(p::runPlatform);
            }
            for (Poller p : all) p.thread.start();
            if (master != null) master.start();
            pollers = all;
            return all;
        }
    }

    private static Poller open() throws NativeIOException {
        Epoll epoll = Epoll.open();
        try {
            return new Poller(epoll, EventArray.allocate(INITIAL_EVENTS));
        } catch (RuntimeException | Error e) {
            epoll.close();
            throw e;
        }
    }

    /** For tests: the pollers started so far (null before first use). */
    static Poller[] started() {
        return pollers;
    }

    /** For tests: how many events this poller's array holds now. */
    int eventCapacity() {
        return events.capacity();
    }

    private void free() {
        events.close();
        epoll.close();
    }

    /**
     * Gives {@code b} a token and registers its socket, edge-triggered, once and for good.
     * On failure {@code b} holds no slot; its socket is the caller's to close.
     */
    void register(Blocking b) throws NativeIOException {
        synchronized (lock) {
            int slot;
            if (freeCount > 0) {
                slot = freeSlots[--freeCount];
            } else {
                if (used == slots.length) {
                    Blocking[] bigger = new Blocking[used * 2];
                    System.arraycopy(slots, 0, bigger, 0, used);
                    slots = bigger;
                }
                slot = used++;
            }
            b.token = ++generation << 32 | slot;
            SLOT.setRelease(slots, slot, b);
        }
        try {
            ctlCalls.incrementAndGet();
            epoll.add(b.socket, INTEREST, b.token);
        } catch (NativeIOException | RuntimeException | Error e) {
            deregister(b);
            throw e;
        }
    }

    /**
     * Frees {@code b}'s slot (no system call: closing the socket removes it from the epoll
     * set). Events still on their way for it carry the old token and are dropped. Idempotent.
     */
    void deregister(Blocking b) {
        synchronized (lock) {
            int slot = (int) b.token;
            Blocking[] s = slots;
            if (s[slot] != b) return;
            SLOT.setRelease(s, slot, (Blocking) null);
            if (freeCount == freeSlots.length) {
                int[] bigger = new int[freeCount * 2];
                System.arraycopy(freeSlots, 0, bigger, 0, freeCount);
                freeSlots = bigger;
            }
            freeSlots[freeCount++] = slot;
        }
    }

    /** Platform mode: block in epoll_wait, handle, again. */
    private void runPlatform() {
        for (;;) {
            int n = poll(-1);
            if (n > 0) handle(n);
        }
    }

    /**
     * Virtual mode: poll without blocking while there are events, yielding between polls so
     * the threads just unparked run; with none, re-arm this instance in the master and park
     * until the master sees it ready. The wake sequence is read before the re-arm, as the
     * sockets' sequences are read before their calls (see {@link Blocking}).
     */
    private void runVirtual() {
        for (;;) {
            int n = poll(0);
            if (n > 0) {
                handle(n);
                Thread.yield();
                continue;
            }
            int seq = wakeSeq;
            // Re-arming reports at once if events came since the poll (the kernel checks the
            // instance's readiness on EPOLL_CTL_MOD), so none is slept through.
            if (!master.rearm(this)) {
                LockSupport.parkNanos(this, 10_000_000L);
                continue;
            }
            rearms = rearms + 1;
            while (wakeSeq == seq) LockSupport.park(this);
        }
    }

    /** Master thread: this poller's epoll instance has events. */
    void wake() {
        wakeSeq = wakeSeq + 1;
        LockSupport.unpark(thread);
    }

    /** One epoll_wait; 0 after a failure, which is logged and followed by a pause. */
    private int poll(int timeoutMillis) {
        try {
            return epoll.wait(events, timeoutMillis);
        } catch (NativeIOException | RuntimeException e) {
            // Not expected on a healthy epoll instance; a pause keeps a persistent failure
            // from turning into a busy loop, and the blocked threads keep their timeouts.
            log(e);
            LockSupport.parkNanos(10_000_000L);
            return 0;
        }
    }

    /** Wakes the threads the {@code n} events in the array are for. Poller thread only. */
    private void handle(int n) {
        Blocking[] s = slots;
        long unparked = 0, dropped = 0;
        for (int i = 0; i < n; i++) {
            long token = events.token(i);
            int ready = events.events(i);
            int slot = (int) token;
            Blocking b = slot >= 0 && slot < s.length ? (Blocking) SLOT.getAcquire(s, slot) : null;
            if (b == null || b.token != token) {
                // A registration made after the array was read is in the new array.
                Blocking[] now = slots;
                if (now != s) {
                    s = now;
                    b = slot >= 0 && slot < s.length ? (Blocking) SLOT.getAcquire(s, slot) : null;
                }
                if (b == null || b.token != token) {
                    dropped++;
                    continue;
                }
            }
            if ((ready & NOT_ONLY_DATA) != 0) b.notOnlyData = true;
            if ((ready & READ_EVENTS) != 0 && b.readReady()) unparked++;
            if ((ready & WRITE_EVENTS) != 0 && b.writeReady()) unparked++;
        }
        // One writer (this thread): plain increments, published by the volatile writes.
        waits = waits + 1;
        handled = handled + n;
        unparks = unparks + unparked;
        stale = stale + dropped;
        events.growIfFull(n);
    }

    /**
     * Virtual mode's one platform thread: waits on an epoll instance holding every poller's
     * instance ({@code EPOLLONESHOT}, re-armed by the poller when it parks) and wakes the
     * poller whose instance has events.
     */
    private static final class Master {
        private static final Interest ONESHOT_IN = Interest.of(Interest.IN, Interest.ONESHOT);
        private final Epoll epoll;
        private final EventArray events;
        private final Poller[] pollers;

        private Master(Epoll epoll, EventArray events, Poller[] pollers) {
            this.epoll = epoll;
            this.events = events;
            this.pollers = pollers;
        }

        static Master open(Poller[] pollers) throws NativeIOException {
            Epoll epoll = Epoll.open();
            EventArray events = null;
            try {
                events = EventArray.allocate(Math.max(4, pollers.length));
                Master m = new Master(epoll, events, pollers);
                for (int i = 0; i < pollers.length; i++) {
                    pollers[i].master = m;
                    pollers[i].index = i;
                    pollers[i].rearms = 1;
                    epoll.add(pollers[i].epoll, ONESHOT_IN, i);
                }
                return m;
            } catch (NativeIOException | RuntimeException | Error e) {
                if (events != null) events.close();
                epoll.close();
                throw e;
            }
        }

        /** Re-arms {@code p}'s registration; false (logged) if the kernel refused. */
        boolean rearm(Poller p) {
            try {
                epoll.modify(p.epoll, ONESHOT_IN, p.index);
                return true;
            } catch (NativeIOException | RuntimeException e) {
                log(e);
                return false;
            }
        }

        void start() {
            Thread.ofPlatform().name("ffm-epoll-blocking-master").daemon().start(this::run);
        }

        private void run() {
            for (;;) {
                int n;
                try {
                    n = epoll.wait(events, -1);
                } catch (NativeIOException | RuntimeException e) {
                    log(e);
                    LockSupport.parkNanos(10_000_000L);
                    continue;
                }
                for (int i = 0; i < n; i++) pollers[(int) events.token(i)].wake();
            }
        }
    }

    private static void log(Throwable t) {
        try {
            LOGGER.log(System.Logger.Level.WARNING, "blocking-socket poller: epoll call failed; retrying in 10 ms", t);
        } catch (Throwable ignored) {
            // A logger that fails (out of descriptors) must not stop the poller.
        }
    }
}
