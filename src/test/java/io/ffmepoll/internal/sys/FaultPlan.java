package io.ffmepoll.internal.sys;

import io.ffmepoll.internal.gen.Linux;
import io.ffmepoll.internal.gen.iovec;
import io.ffmepoll.internal.gen.msghdr;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The fault layer the fault-schedule tests run under ({@code -Dffmepoll.faults=} this class).
 * Between {@link #begin} and {@link #end}, each system call may, by a draw from the schedule's
 * seed, return something the kernel could return for it, and never anything the kernel could
 * not:
 * <ul>
 * <li>{@link #EINTR_WAIT}, {@link #EARLY_WAIT}: a wait interrupted by a signal, or one that
 *     ends with no events before its timeout (the real wait is not made).</li>
 * <li>{@link #SPURIOUS}: a wait also reports IN or OUT for an fd registered (not ONESHOT) with
 *     that interest in the same epoll set, at most once per wait, as a wake-up for readiness
 *     that is gone by the time the caller looks.</li>
 * <li>{@link #EAGAIN}: a read, write, accept or eventfd read says EAGAIN without being made,
 *     and the readiness it denied is reported by the fd's next wait: the kernel's own timeline
 *     when the data (or space, or connection) arrives just after the call. Without that event
 *     an edge-triggered caller would wait for an edge the kernel never owed it.</li>
 * <li>{@link #SHORT_READ}, {@link #SHORT_WRITE}: the real call on a stream (socket or pipe) with
 *     a shorter length, down to 1 byte, or fewer iovecs; {@code recvmmsg}/{@code sendmmsg} with
 *     fewer messages. Bytes are never invented or lost: the rest stays in the socket or with
 *     the caller. As for EAGAIN, the fd's next wait reports IN (OUT): the kernel's timeline
 *     when only that much had arrived (or fitted) and the rest came (or freed) just after.</li>
 * <li>{@link #SHORT_READ_AT_MARK}: a short read with no new edge after it, as AF_UNIX gives at
 *     an SCM_RIGHTS or credentials boundary; for TCP, which stops short only at the urgent
 *     mark, the next wait reports PRI as tcp_poll does for pending urgent data.</li>
 * <li>{@link #CLOSE_EINTR}: close(2) runs and reports EINTR, as Linux may (the fd is gone).</li>
 * <li>{@link #ACCEPT_ERRORS}: ENOBUFS, ENOMEM, ECONNABORTED or EINTR from accept4, without
 *     taking the pending connection.</li>
 * <li>{@link #CREATE_ERRORS}: EMFILE, ENFILE (or ENOMEM, ENOBUFS where the call can say so)
 *     from socket, socketpair, pipe2, eventfd, timerfd_create, epoll_create1 and accept4;
 *     ENOMEM or ENOSPC from epoll_ctl ADD.</li>
 * <li>{@link #IO_ERRORS}: ECONNRESET, EPIPE, ENOBUFS, ENOMEM or EINTR from a read or write,
 *     and EINTR, ENOBUFS or ENOMEM from connect, without making the call.</li>
 * </ul>
 * The first five (and the eighth) are transparent: a correct program must still deliver every byte. The last
 * three may end a connection or an operation, which must then be reported.
 * <p>Each thread draws from its own generator, seeded from the schedule's seed and the
 * thread's name, so one thread's decisions replay exactly whatever the others do; how threads
 * interleave is the scheduler's.
 */
public final class FaultPlan implements Faults {

    public static final int EINTR_WAIT = 1, EARLY_WAIT = 1 << 1, SPURIOUS = 1 << 2, EAGAIN = 1 << 3,
            SHORT_READ = 1 << 4, SHORT_WRITE = 1 << 5, CLOSE_EINTR = 1 << 6, ACCEPT_ERRORS = 1 << 7,
            CREATE_ERRORS = 1 << 8, IO_ERRORS = 1 << 9, SHORT_READ_AT_MARK = 1 << 10;
    public static final int TRANSPARENT = EINTR_WAIT | EARLY_WAIT | SPURIOUS | EAGAIN | SHORT_READ | SHORT_WRITE
            | CLOSE_EINTR | ACCEPT_ERRORS;
    public static final int ALL = TRANSPARENT | CREATE_ERRORS | IO_ERRORS | SHORT_READ_AT_MARK;
    private static final String[] KIND_NAMES = {"EINTR_WAIT", "EARLY_WAIT", "SPURIOUS", "EAGAIN", "SHORT_READ",
            "SHORT_WRITE", "CLOSE_EINTR", "ACCEPT_ERRORS", "CREATE_ERRORS", "IO_ERRORS", "SHORT_READ_AT_MARK"};

    private static final int IN = Linux.EPOLLIN(), OUT = Linux.EPOLLOUT(), PRI = Linux.EPOLLPRI(),
            ONESHOT = Linux.EPOLLONESHOT();
    private static final int ADD = Linux.EPOLL_CTL_ADD(), MOD = Linux.EPOLL_CTL_MOD(), DEL = Linux.EPOLL_CTL_DEL();
    private static final int E_INTR = Linux.EINTR(), E_AGAIN = Linux.EAGAIN(), E_MFILE = Linux.EMFILE(),
            E_NFILE = Linux.ENFILE(), E_NOMEM = Linux.ENOMEM(), E_NOBUFS = Linux.ENOBUFS(),
            E_NOSPC = Linux.ENOSPC(), E_CONNRESET = Linux.ECONNRESET(), E_PIPE = Linux.EPIPE(),
            E_CONNABORTED = Linux.ECONNABORTED();
    private static final long IOV = iovec.layout().byteSize();

    /** What an fd number refers to, as far as this layer saw it created. */
    private static final byte UNKNOWN = 0, STREAM = 1, DATAGRAM = 2, OTHER = 3;

    private static volatile FaultPlan instance;

    /** The instance {@code Sys} made, or an error saying how to run with one. */
    public static FaultPlan get() {
        Sys.hasEpollPwait2();   // initialises Sys, which makes the instance
        FaultPlan p = instance;
        if (p == null) {
            throw new IllegalStateException("run with -D" + PROPERTY + "=" + FaultPlan.class.getName());
        }
        return p;
    }

    /** Whether this JVM runs with the plan installed. */
    /**
     * Runs just after each real close(2), before close returns: what another thread may do the
     * moment the kernel has freed the number (take it again). For the plan's own tests.
     */
    volatile IntConsumer afterClose;

    /** Whether {@code fd} is recorded as registered in {@code epfd}'s interest list. */
    synchronized boolean registered(int epfd, int fd) {
        Map<Integer, long[]> set = registered.get(epfd);
        return set != null && set.containsKey(fd);
    }

    public static boolean installed() {
        Sys.hasEpollPwait2();
        return instance != null;
    }

    // ---- schedule state
    private volatile boolean active;
    private volatile long seed;
    private volatile int kinds;
    private volatile double rate;
    private volatile int generation;
    private final AtomicLongArray injected = new AtomicLongArray(KIND_NAMES.length);

    // ---- what the kernel holds, as seen through the calls (guarded by this)
    private final byte[] fdKinds = new byte[1 << 16];
    /** The socket family of each fd number, where known (0 otherwise). */
    private final byte[] fdFamilies = new byte[1 << 16];
    /** epfd -> (fd -> {events, data}) for successful ADD/MOD. */
    private final Map<Integer, Map<Integer, long[]>> registered = new HashMap<>();
    /** fd -> readiness bits denied by an injected EAGAIN, reported by its next wait. */
    private final Map<Integer, Integer> owed = new HashMap<>();

    private final ThreadLocal<boolean[]> inside = ThreadLocal.withInitial(() -> new boolean[1]);

    /** -Dffmepoll.trace=true: the last injections and waits, for the report of a failed schedule. */
    private static final boolean TRACE = Boolean.getBoolean("ffmepoll.trace");
    private final java.util.ArrayDeque<String> trace = new java.util.ArrayDeque<>();
    private long traceStart;

    private void trace(String what) {
        if (!TRACE) return;
        String line = String.format("%6.1f ms %s %s", (System.nanoTime() - traceStart) / 1e6, Thread.currentThread().getName(), what);
        synchronized (trace) {
            if (trace.size() == 4000) trace.removeFirst();
            trace.addLast(line);
        }
    }

    /** The trace of the schedule so far (empty unless -Dffmepoll.trace=true). */
    public String traceText() {
        synchronized (trace) {
            return String.join("\n", trace);
        }
    }
    private final ThreadLocal<Draws> draws = new ThreadLocal<>();

    /** Call families: each has its own generator, so that one family's count of calls (the
     *  number of waits depends on timing) does not shift the decisions of another. */
    private static final int WAITS = 0, READS = 1, WRITES = 2, ACCEPTS = 3, CREATES = 4, CLOSES = 5, FAMILIES = 6;

    private static final class Draws {
        final int generation;
        final SplittableRandom[] random = new SplittableRandom[FAMILIES];

        Draws(int generation, long seed) {
            this.generation = generation;
            SplittableRandom root = new SplittableRandom(seed);
            for (int i = 0; i < FAMILIES; i++) random[i] = root.split();
        }
    }

    public FaultPlan() {
        instance = this;
    }

    /** Starts injecting: {@code kinds} (a mask of the constants above), each call at {@code rate}. */
    public synchronized void begin(long seed, int kinds, double rate) {
        this.seed = seed;
        this.kinds = kinds;
        this.rate = rate;
        for (int i = 0; i < injected.length(); i++) injected.set(i, 0);
        owed.clear();
        synchronized (trace) {
            trace.clear();
        }
        traceStart = System.nanoTime();
        generation++;
        active = true;
    }

    /** Stops injecting; the count of faults injected, by kind, as {@code NAME=count} pairs. */
    public synchronized String end() {
        active = false;
        owed.clear();
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < KIND_NAMES.length; i++) {
            long n = injected.get(i);
            if (n > 0) b.append(b.isEmpty() ? "" : " ").append(KIND_NAMES[i]).append('=').append(n);
        }
        return b.toString();
    }

    /** The total number of faults injected since {@link #begin}. */
    public long injectedTotal() {
        long t = 0;
        for (int i = 0; i < injected.length(); i++) t += injected.get(i);
        return t;
    }

    /** The names of the kinds in {@code mask}. */
    public static String kindNames(int mask) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < KIND_NAMES.length; i++) {
            if ((mask & (1 << i)) != 0) b.append(b.isEmpty() ? "" : "|").append(KIND_NAMES[i]);
        }
        return b.isEmpty() ? "none" : b.toString();
    }

    /** Parses names joined by {@code |} or {@code ,} (as {@link #kindNames} prints them), or a number. */
    public static int parseKinds(String spec) {
        if (spec.equalsIgnoreCase("all")) return ALL;
        if (spec.equalsIgnoreCase("transparent")) return TRANSPARENT;
        if (spec.chars().allMatch(Character::isDigit)) return Integer.parseInt(spec);
        int mask = 0;
        for (String name : spec.split("[|,]")) {
            int i = java.util.Arrays.asList(KIND_NAMES).indexOf(name.trim().toUpperCase());
            if (i < 0) throw new IllegalArgumentException("unknown fault kind " + name);
            mask |= 1 << i;
        }
        return mask;
    }

    // ---- decisions

    /** The calling thread's generator for {@code family} in this schedule; null when not injecting here. */
    private SplittableRandom random(int family) {
        if (!active || inside.get()[0]) return null;
        Draws d = draws.get();
        int g = generation;
        if (d == null || d.generation != g) {
            draws.set(d = new Draws(g, seed * 0x9E3779B97F4A7C15L + Thread.currentThread().getName().hashCode()));
        }
        return d.random[family];
    }

    /** One draw: whether to inject {@code kind} now. */
    private boolean roll(SplittableRandom r, int kind) {
        if (r == null || (kinds & kind) == 0) return false;
        return r.nextDouble() < rate;
    }

    private long inject(int kind, long result) {
        injected.incrementAndGet(Integer.numberOfTrailingZeros(kind));
        return result;
    }

    private static int pick(SplittableRandom r, int... errnos) {
        return errnos[r.nextInt(errnos.length)];
    }

    /** A shorter length in [1, len): 1 a quarter of the time, else uniform. */
    private static long shorter(SplittableRandom r, long len) {
        return r.nextInt(4) == 0 ? 1 : 1 + r.nextLong(len - 1);
    }

    private void enter() {
        inside.get()[0] = true;
    }

    private void exit() {
        inside.get()[0] = false;
    }

    private synchronized byte kindOf(int fd) {
        return fd >= 0 && fd < fdKinds.length ? fdKinds[fd] : UNKNOWN;
    }

    private synchronized void created(int fd, byte kind) {
        if (fd >= 0 && fd < fdKinds.length) fdKinds[fd] = kind;
    }

    private synchronized void owe(int fd, int bits) {
        owed.merge(fd, bits, (a, b) -> a | b);
    }

    // ---- epoll

    @Override
    public long epollCreate1(int flags) {
        SplittableRandom r = random(CREATES);
        if (roll(r, CREATE_ERRORS)) return inject(CREATE_ERRORS, -pick(r, E_MFILE, E_NFILE, E_NOMEM));
        if (inside.get()[0]) return PASS;
        enter();
        int fd;
        try {
            fd = Sys.epollCreate1(flags);
        } finally {
            exit();
        }
        if (fd >= 0) {
            synchronized (this) {
                fdKinds[fd] = OTHER;
                registered.put(fd, new HashMap<>());
            }
        }
        return fd;
    }

    @Override
    public long epollCtl(int epfd, int op, int fd, int events, long data) {
        SplittableRandom r = random(CREATES);
        if (op == ADD && roll(r, CREATE_ERRORS)) {
            trace("epoll_ctl ADD " + epfd + " fd " + fd + ": ENOMEM/ENOSPC");
            return inject(CREATE_ERRORS, -pick(r, E_NOMEM, E_NOSPC));
        }
        if (inside.get()[0]) return PASS;
        enter();
        int result;
        try {
            result = Sys.epollCtl(epfd, op, fd, events, data);
        } finally {
            exit();
        }
        trace("epoll_ctl op " + op + " " + epfd + " fd " + fd + " events " + Integer.toHexString(events) + " -> " + result);
        if (result == 0) {
            synchronized (this) {
                Map<Integer, long[]> set = registered.computeIfAbsent(epfd, k -> new HashMap<>());
                if (op == ADD || op == MOD) set.put(fd, new long[] {events, data});
                else if (op == DEL) set.remove(fd);
            }
        }
        return result;
    }

    @Override
    public long epollWait(int epfd, MemorySegment events, int maxEvents, int timeoutMillis) {
        return wait(epfd, events, maxEvents, timeoutMillis, -1, false);
    }

    @Override
    public long epollPwait2(int epfd, MemorySegment events, int maxEvents, long timeoutNanos) {
        return wait(epfd, events, maxEvents, -1, timeoutNanos, true);
    }

    /** ppoll on one fd: interrupted, or ended early with nothing ready, as an epoll wait may be. */
    @Override
    public long pollOne(NativeScratch s, int fd, short events, long timeoutNanos) {
        SplittableRandom r = random(WAITS);
        if (r == null) return PASS;
        if (roll(r, EINTR_WAIT)) return inject(EINTR_WAIT, -E_INTR);
        if (timeoutNanos != 0 && roll(r, EARLY_WAIT)) return inject(EARLY_WAIT, 0);
        return PASS;
    }

    private long wait(int epfd, MemorySegment events, int maxEvents, int millis, long nanos, boolean pwait2) {
        SplittableRandom r = random(WAITS);
        if (r == null) return PASS;
        boolean blocking = pwait2 ? nanos != 0 : millis != 0;
        if (roll(r, EINTR_WAIT)) return inject(EINTR_WAIT, -E_INTR);
        if (blocking && roll(r, EARLY_WAIT)) return inject(EARLY_WAIT, 0);
        List<long[]> extra = extraEvents(epfd, r, maxEvents);
        if (extra.isEmpty()) return PASS;
        // Something is ready: the kernel would not block.
        int room = maxEvents - Math.min(extra.size(), maxEvents - 1);
        MemorySegment array = events.byteSize() < maxEvents * EpollEventLayout.SIZE
                ? events.reinterpret(maxEvents * EpollEventLayout.SIZE) : events;
        enter();
        int n;
        try {
            n = pwait2 ? Sys.epollPwait2(epfd, array, room, 0) : Sys.epollWait(epfd, array, room, 0);
        } finally {
            exit();
        }
        if (n < 0) return n;
        for (long[] e : extra) {
            if (n == maxEvents) break;
            boolean present = false;
            for (int i = 0; i < n && !present; i++) present = EpollEventLayout.data(array, i) == e[2];
            if (present) continue;   // the kernel reports an fd once per wait
            EpollEventLayout.set(array, n++, (int) e[1], e[2]);
            trace("wait " + epfd + ": " + (e[3] == 1 ? "owed " : "spurious ") + e[1] + " for fd " + e[0]);
            synchronized (this) {
                owed.computeIfPresent((int) e[0], (fd, bits) -> (bits & ~(int) e[1]) == 0 ? null : bits & ~(int) e[1]);
            }
            inject(e[3] == 1 ? EAGAIN : SPURIOUS, 0);
        }
        return n;
    }

    /** {fd, bits, data, owed?1:0} for the owed events of {@code epfd}'s fds and maybe one spurious one. */
    private synchronized List<long[]> extraEvents(int epfd, SplittableRandom r, int maxEvents) {
        List<long[]> out = new ArrayList<>();
        Map<Integer, long[]> set = registered.get(epfd);
        if (set == null || set.isEmpty()) return out;
        for (Map.Entry<Integer, Integer> o : owed.entrySet()) {
            long[] reg = set.get(o.getKey());
            if (reg == null || (reg[0] & ONESHOT) != 0) continue;
            int bits = o.getValue() & (int) reg[0] & (IN | OUT | PRI);
            if (bits != 0) out.add(new long[] {o.getKey(), bits, reg[1], 1});
        }
        if (roll(r, SPURIOUS)) {
            List<Integer> fds = new ArrayList<>(set.keySet());
            fds.sort(null);   // a deterministic choice for a given seed
            int fd = fds.get(r.nextInt(fds.size()));
            long[] reg = set.get(fd);
            int bits = (int) reg[0] & (r.nextBoolean() ? IN : OUT);
            if ((reg[0] & ONESHOT) == 0 && bits != 0) out.add(new long[] {fd, bits, reg[1], 0});
        }
        return out;
    }

    // ---- creation

    private long create(SplittableRandom r, int... errnos) {
        return roll(r, CREATE_ERRORS) ? inject(CREATE_ERRORS, -pick(r, errnos)) : PASS;
    }

    @Override
    public long eventfd(int initial, int flags) {
        long f = create(random(CREATES), E_MFILE, E_NFILE, E_NOMEM);
        if (f != PASS || inside.get()[0]) return f;
        enter();
        try {
            int fd = Sys.eventfd(initial, flags);
            created(fd, OTHER);
            return fd;
        } finally {
            exit();
        }
    }

    @Override
    public long timerfdCreate(int clock, int flags) {
        long f = create(random(CREATES), E_MFILE, E_NFILE, E_NOMEM);
        if (f != PASS || inside.get()[0]) return f;
        enter();
        try {
            int fd = Sys.timerfdCreate(clock, flags);
            created(fd, OTHER);
            return fd;
        } finally {
            exit();
        }
    }

    @Override
    public long pipe2(int flags) {
        long f = create(random(CREATES), E_MFILE, E_NFILE);
        if (f != PASS || inside.get()[0]) return f;
        enter();
        try {
            int result = Sys.pipe2(flags);
            if (result >= 0) recordPair(STREAM);
            return result;
        } finally {
            exit();
        }
    }

    @Override
    public long socket(int domain, int type, int protocol) {
        long f = create(random(CREATES), E_MFILE, E_NFILE, E_NOMEM, E_NOBUFS);
        if (f != PASS || inside.get()[0]) return f;
        enter();
        try {
            int fd = Sys.socket(domain, type, protocol);
            created(fd, (type & 0xf) == Linux.SOCK_STREAM() ? STREAM : DATAGRAM);
            if (fd >= 0 && fd < fdFamilies.length) fdFamilies[fd] = (byte) domain;
            return fd;
        } finally {
            exit();
        }
    }

    @Override
    public long socketpair(int domain, int type, int protocol) {
        long f = create(random(CREATES), E_MFILE, E_NFILE, E_NOMEM);
        if (f != PASS || inside.get()[0]) return f;
        byte kind = (type & 0xf) == Linux.SOCK_STREAM() ? STREAM : DATAGRAM;
        enter();
        try {
            int result = Sys.socketpair(domain, type, protocol);
            if (result >= 0) recordPair(kind);
            return result;
        } finally {
            exit();
        }
    }

    private void recordPair(byte kind) {
        NativeScratch s = NativeScratch.current();
        created(s.getInt(NativeScratch.INTS), kind);
        created(s.getInt(NativeScratch.INTS + 4), kind);
    }

    @Override
    public long accept4(int fd, MemorySegment addr, MemorySegment len, int flags) {
        SplittableRandom r = random(ACCEPTS);
        if (roll(r, EAGAIN)) {
            owe(fd, IN);
            trace("accept fd " + fd + ": EAGAIN, owes IN");
            return inject(EAGAIN, -E_AGAIN);
        }
        if (roll(r, ACCEPT_ERRORS)) {
            trace("accept fd " + fd + ": error");
            return inject(ACCEPT_ERRORS, -pick(r, E_NOBUFS, E_NOMEM, E_CONNABORTED, E_INTR));
        }
        if (roll(r, CREATE_ERRORS)) {
            trace("accept fd " + fd + ": EMFILE/ENFILE");
            return inject(CREATE_ERRORS, -pick(r, E_MFILE, E_NFILE));
        }
        if (inside.get()[0]) return PASS;
        enter();
        try {
            int c = Sys.accept4(fd, addr, len, flags);
            trace("accept fd " + fd + " -> " + c);
            created(c, STREAM);
            if (c >= 0 && c < fdFamilies.length && fd >= 0 && fd < fdFamilies.length) fdFamilies[c] = fdFamilies[fd];
            return c;
        } finally {
            exit();
        }
    }

    @Override
    public long connect(int fd, MemorySegment addr, int len) {
        SplittableRandom r = random(CREATES);
        if (roll(r, IO_ERRORS)) return inject(IO_ERRORS, -pick(r, E_INTR, E_NOBUFS, E_NOMEM));
        return PASS;
    }

    @Override
    public long close(int fd) {
        SplittableRandom r = random(CLOSES);
        boolean eintr = roll(r, CLOSE_EINTR);
        if (inside.get()[0]) return PASS;
        // Forget the fd while it is still open: once close(2) frees the number, another thread
        // may take it and register it, and a late update would erase that new registration.
        synchronized (this) {
            trace("close fd " + fd + (eintr ? " (EINTR)" : "") + (owed.containsKey(fd) ? " dropping owed " + owed.get(fd) : ""));
            if (fd >= 0 && fd < fdKinds.length) fdKinds[fd] = UNKNOWN;
            owed.remove(fd);
            registered.remove(fd);
            for (Map<Integer, long[]> set : registered.values()) set.remove(fd);
        }
        enter();
        int result;
        try {
            result = Sys.close(fd);
        } finally {
            exit();
        }
        IntConsumer after = afterClose;
        if (after != null) after.accept(fd);
        return eintr && result == 0 ? inject(CLOSE_EINTR, -E_INTR) : result;
    }

    // ---- reads and writes

    /** EAGAIN (owing the readiness) or an I/O error instead of the call; PASS to go on. */
    private long refuse(SplittableRandom r, int fd, int bits, boolean write) {
        if (roll(r, EAGAIN)) {
            owe(fd, bits);
            trace((write ? "write" : "read") + " fd " + fd + ": EAGAIN, owes " + bits);
            return inject(EAGAIN, -E_AGAIN);
        }
        if (roll(r, IO_ERRORS)) {
            trace((write ? "write" : "read") + " fd " + fd + ": I/O error");
            byte kind = kindOf(fd);
            if (kind == STREAM) {
                return inject(IO_ERRORS, -(write ? pick(r, E_PIPE, E_CONNRESET, E_NOBUFS, E_NOMEM, E_INTR)
                        : pick(r, E_CONNRESET, E_NOMEM, E_INTR)));
            }
            return inject(IO_ERRORS, -(write ? pick(r, E_NOBUFS, E_NOMEM, E_INTR) : pick(r, E_NOMEM, E_INTR)));
        }
        return PASS;
    }

    /**
     * A shorter length for a stream call of {@code len} bytes, or -1 for none. The readiness
     * the short count stops at is owed to the next wait, except for a read at a mark.
     */
    private long shortLength(SplittableRandom r, int fd, long len, int kind) {
        if (len <= 1 || kindOf(fd) != STREAM) return -1;
        if (roll(r, kind)) {
            owe(fd, kind == SHORT_READ ? IN : OUT);
            inject(kind, 0);
            return shorter(r, len);
        }
        if (kind == SHORT_READ && roll(r, SHORT_READ_AT_MARK)) {
            // TCP stops short only at the urgent mark, which tcp_poll reports as PRI; an
            // AF_UNIX stream stops at SCM_RIGHTS and credential boundaries with no event at all.
            int family = fd < fdFamilies.length ? fdFamilies[fd] : 0;
            if (family == Linux.AF_INET() || family == Linux.AF_INET6()) owe(fd, PRI);
            inject(SHORT_READ_AT_MARK, 0);
            return shorter(r, len);
        }
        return -1;
    }

    /**
     * A read or write of {@code len} bytes on {@code fd}: EAGAIN or an error instead of the call,
     * the call with a shorter length, or PASS.
     */
    private long stream(SplittableRandom r, int fd, long len, boolean write, java.util.function.LongUnaryOperator call) {
        long f = refuse(r, fd, write ? OUT : IN, write);
        if (f != PASS) return f;
        long n = shortLength(r, fd, len, write ? SHORT_WRITE : SHORT_READ);
        if (n < 0) return PASS;
        enter();
        try {
            return call.applyAsLong(n);
        } finally {
            exit();
        }
    }

    @Override
    public long read(int fd, MemorySegment buf, long count) {
        return stream(random(READS), fd, count, false, n -> Sys.read(fd, buf, n));
    }

    @Override
    public long write(int fd, MemorySegment buf, long count) {
        return stream(random(WRITES), fd, count, true, n -> Sys.write(fd, buf, n));
    }

    @Override
    public long recv(int fd, MemorySegment buf, long len, int flags) {
        return stream(random(READS), fd, len, false, n -> Sys.recv(fd, buf, n, flags));
    }

    @Override
    public long send(int fd, MemorySegment buf, long len, int flags) {
        return stream(random(WRITES), fd, len, true, n -> Sys.send(fd, buf, n, flags));
    }

    @Override
    public long recvfrom(int fd, MemorySegment buf, long len, int flags, MemorySegment addr, MemorySegment addrLen) {
        return stream(random(READS), fd, len, false, n -> Sys.recvfrom(fd, buf, n, flags, addr, addrLen));
    }

    @Override
    public long sendto(int fd, MemorySegment buf, long len, int flags, MemorySegment addr, int addrLen) {
        return stream(random(WRITES), fd, len, true, n -> Sys.sendto(fd, buf, n, flags, addr, addrLen));
    }

    /** Truncates the iovec array to {@code limit} bytes: {count, index of cut entry, its old length}. */
    private static long[] cut(MemorySegment iov, int count, long limit) {
        MemorySegment v = iov.byteSize() < count * IOV ? iov.reinterpret(count * IOV) : iov;
        long sum = 0;
        for (int i = 0; i < count; i++) {
            MemorySegment e = v.asSlice(i * IOV, IOV);
            long len = iovec.iov_len(e);
            if (sum + len >= limit) {
                iovec.iov_len(e, limit - sum);
                return new long[] {i + 1, i, len};
            }
            sum += len;
        }
        return new long[] {count, -1, 0};
    }

    private static void uncut(MemorySegment iov, long[] cut) {
        if (cut[1] < 0) return;
        MemorySegment v = iov.byteSize() < (cut[1] + 1) * IOV ? iov.reinterpret((cut[1] + 1) * IOV) : iov;
        iovec.iov_len(v.asSlice(cut[1] * IOV, IOV), cut[2]);
    }

    private static long total(MemorySegment iov, int count) {
        MemorySegment v = iov.byteSize() < count * IOV ? iov.reinterpret(count * IOV) : iov;
        long sum = 0;
        for (int i = 0; i < count; i++) sum += iovec.iov_len(v.asSlice(i * IOV, IOV));
        return sum;
    }

    private interface VectorCall {
        long call(int count);
    }

    /** A stream vector call with its iovecs cut to a shorter total, then restored. */
    private long shortVector(SplittableRandom r, int fd, MemorySegment iov, int count, int kind, VectorCall call) {
        long n = shortLength(r, fd, total(iov, count), kind);
        if (n < 0) return PASS;
        long[] c = cut(iov, count, n);
        enter();
        try {
            return call.call((int) c[0]);
        } finally {
            exit();
            uncut(iov, c);
        }
    }

    @Override
    public long readv(int fd, MemorySegment iov, int count) {
        SplittableRandom r = random(READS);
        long f = refuse(r, fd, IN, false);
        if (f != PASS) return f;
        return shortVector(r, fd, iov, count, SHORT_READ, k -> Sys.readv(fd, iov, k));
    }

    @Override
    public long writev(int fd, MemorySegment iov, int count) {
        SplittableRandom r = random(WRITES);
        long f = refuse(r, fd, OUT, true);
        if (f != PASS) return f;
        return shortVector(r, fd, iov, count, SHORT_WRITE, k -> Sys.writev(fd, iov, k));
    }

    private long messageVector(SplittableRandom r, int fd, MemorySegment msg, int kind, VectorCall call) {
        MemorySegment m = msg.byteSize() < msghdr.layout().byteSize() ? msg.reinterpret(msghdr.layout().byteSize()) : msg;
        long count = msghdr.msg_iovlen(m);
        MemorySegment iov = msghdr.msg_iov(m);
        if (count <= 0 || iov.equals(MemorySegment.NULL)) return PASS;
        return shortVector(r, fd, iov, (int) count, kind, k -> {
            msghdr.msg_iovlen(m, k);
            try {
                return call.call(k);
            } finally {
                msghdr.msg_iovlen(m, count);
            }
        });
    }

    @Override
    public long sendmsg(int fd, MemorySegment msg, int flags) {
        SplittableRandom r = random(WRITES);
        long f = refuse(r, fd, OUT, true);
        if (f != PASS) return f;
        return messageVector(r, fd, msg, SHORT_WRITE, k -> Sys.sendmsg(fd, msg, flags));
    }

    @Override
    public long recvmsg(int fd, MemorySegment msg, int flags) {
        SplittableRandom r = random(READS);
        long f = refuse(r, fd, IN, false);
        if (f != PASS) return f;
        return messageVector(r, fd, msg, SHORT_READ, k -> Sys.recvmsg(fd, msg, flags));
    }

    @Override
    public long sendmmsg(int fd, MemorySegment msgs, int count, int flags) {
        SplittableRandom r = random(WRITES);
        long f = refuse(r, fd, OUT, true);
        if (f != PASS) return f;
        if (count < 2 || !roll(r, SHORT_WRITE)) return PASS;
        owe(fd, OUT);
        inject(SHORT_WRITE, 0);
        int k = (int) shorter(r, count);
        enter();
        try {
            return Sys.sendmmsg(fd, msgs, k, flags);
        } finally {
            exit();
        }
    }

    @Override
    public long recvmmsg(int fd, MemorySegment msgs, int count, int flags) {
        SplittableRandom r = random(READS);
        long f = refuse(r, fd, IN, false);
        if (f != PASS) return f;
        if (count < 2 || !roll(r, SHORT_READ)) return PASS;
        owe(fd, IN);
        inject(SHORT_READ, 0);
        int k = (int) shorter(r, count);
        enter();
        try {
            return Sys.recvmmsg(fd, msgs, k, flags);
        } finally {
            exit();
        }
    }

    @Override
    public long readLong(NativeScratch s, int fd) {
        SplittableRandom r = random(READS);
        if (roll(r, EAGAIN)) {
            owe(fd, IN);
            return inject(EAGAIN, -E_AGAIN);
        }
        return PASS;
    }
}
