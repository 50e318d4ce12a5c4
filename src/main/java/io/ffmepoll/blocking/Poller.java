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
 * The threads that wake blocked {@link BlockingStream} and {@link BlockingListener} calls: each
 * a platform daemon thread waiting on an epoll instance of its own.
 * <p>Every socket is registered once, when it is made blocking, with
 * {@code EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET}, and never re-armed or removed: closing the socket
 * removes it from the epoll set. A thread that meets {@code EAGAIN} parks; the poller, on each
 * edge, advances the socket's read or write sequence and unparks the thread waiting in that
 * direction. So blocking costs no {@code epoll_ctl}, where a ONESHOT poller pays one per block.
 * <p>Pollers start on first use (the system property {@code io.ffmepoll.blocking.pollers} sets
 * how many, 1 by default; sockets are spread over them in turn) and live as long as the JVM.
 * A poller waits without a timeout, so an idle process costs nothing; a wait that fills its
 * event array doubles it, up to {@link EventArray#MAX_CAPACITY}.
 * {@snippet :
 * Poller.Counters c = Poller.counters();
 * System.out.println(c.epollCtlCalls() + " epoll_ctl for " + c.parks() + " blocked calls");
 * }
 */
public final class Poller {

    /**
     * What the pollers have done since the JVM started, summed over all of them.
     * @param epollCtlCalls every {@code epoll_ctl} made: one {@code ADD} per socket made blocking
     * @param waits {@code epoll_wait} calls returned
     * @param events events handled
     * @param unparks threads unparked by an event
     * @param stale events for sockets closed meanwhile, dropped
     * @param parks times a blocking call parked its thread for want of readiness
     */
    public record Counters(long epollCtlCalls, long waits, long events, long unparks, long stale, long parks) {}

    /** The one registration every socket gets: never modified, never deleted. */
    static final Interest INTEREST = Interest.of(Interest.IN, Interest.OUT, Interest.RDHUP, Interest.ET);
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
    /** Written by the poller thread once per wait; read by {@link #counters()}. */
    private volatile long waits, handled, unparks, stale;

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
     */
    public static Counters counters() {
        Poller[] all = pollers;
        long ctl = 0, waits = 0, events = 0, unparks = 0, stale = 0;
        if (all != null) {
            for (Poller p : all) {
                ctl += p.ctlCalls.get();
                waits += p.waits;
                events += p.handled;
                unparks += p.unparks;
                stale += p.stale;
            }
        }
        return new Counters(ctl, waits, events, unparks, stale, PARKS.sum());
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
            all = new Poller[count];
            int made = 0;
            try {
                for (; made < count; made++) {
                    Epoll epoll = Epoll.open();
                    EventArray events;
                    try {
                        events = EventArray.allocate(INITIAL_EVENTS);
                    } catch (RuntimeException | Error e) {
                        epoll.close();
                        throw e;
                    }
                    all[made] = new Poller(epoll, events);
                }
            } catch (NativeIOException | RuntimeException | Error e) {
                for (int i = 0; i < made; i++) all[i].free();
                throw e;
            }
            for (int i = 0; i < count; i++) {
                Poller p = all[i];
                Thread t = new Thread(p::run, "ffm-epoll-blocking-poller-" + i);
                t.setDaemon(true);
                t.start();
            }
            pollers = all;
            return all;
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

    private void run() {
        long waits = 0, handled = 0, unparks = 0, stale = 0;
        for (;;) {
            int n;
            try {
                n = epoll.wait(events, -1);
            } catch (NativeIOException | RuntimeException e) {
                // Not expected on a healthy epoll instance; a pause keeps a persistent failure
                // from turning into a busy loop, and the blocked threads keep their timeouts.
                log(e);
                LockSupport.parkNanos(10_000_000L);
                continue;
            }
            Blocking[] s = slots;
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
                        stale++;
                        continue;
                    }
                }
                if ((ready & READ_EVENTS) != 0 && b.readReady()) unparks++;
                if ((ready & WRITE_EVENTS) != 0 && b.writeReady()) unparks++;
            }
            handled += n;
            waits++;
            this.waits = waits;
            this.handled = handled;
            this.unparks = unparks;
            this.stale = stale;
            events.growIfFull(n);
        }
    }

    private static void log(Throwable t) {
        try {
            LOGGER.log(System.Logger.Level.WARNING, "blocking-socket poller: wait failed; retrying in 10 ms", t);
        } catch (Throwable ignored) {
            // A logger that fails (out of descriptors) must not stop the poller.
        }
    }
}
