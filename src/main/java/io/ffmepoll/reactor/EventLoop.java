package io.ffmepoll.reactor;

import io.ffmepoll.epoll.Descriptor;
import io.ffmepoll.epoll.Epoll;
import io.ffmepoll.epoll.EventArray;
import io.ffmepoll.epoll.EventFd;
import io.ffmepoll.epoll.Interest;
import io.ffmepoll.epoll.NativeIOException;
import io.ffmepoll.epoll.TimerFd;
import io.ffmepoll.internal.sys.NativeScratch;
import io.ffmepoll.socket.StreamSocket;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One thread that owns an epoll instance, its event array, its errno scratch and a native
 * arena, and runs everything registered with it: connections, listeners, tasks and timeouts.
 * <p>Loops are created by a {@link Reactor}. Everything a loop runs (handler callbacks, tasks,
 * timeouts) runs on its thread, one at a time, so handler state needs no locks. Other threads
 * talk to a loop only through {@link #execute(Runnable)}, {@link #schedule(Duration, Runnable)},
 * registration and the {@link Connection} calls documented as callable from any thread (which
 * hand off to the loop); the loop is woken through an eventfd at most once per sleep, however
 * many tasks arrive.
 * <h2>One iteration</h2>
 * <ol>
 * <li>wait: zero timeout if tasks, still-ready work or due timeouts are pending; else until the
 *     next timeout (nanosecond precision with {@code epoll_pwait2}) or forever;</li>
 * <li>dispatch events by token: slot index plus generation, so stale events are dropped;</li>
 * <li>grow the event array if the wait filled it;</li>
 * <li>give one more budget to each connection that still had input after its budget;</li>
 * <li>run due timeouts, then queued tasks (a bounded batch).</li>
 * </ol>
 * After every handler callback, task and timeout, the small writes it made to connections are
 * sent, one gathering {@code sendmsg} per connection (see {@link Connection}).
 * {@snippet :
 * try (Reactor reactor = Reactor.builder().loops(1).build()) {
 *     EventLoop loop = reactor.loops().get(0);
 *     loop.execute(() -> System.out.println("on " + Thread.currentThread().getName()));
 *     loop.schedule(Duration.ofNanos(500_000), () -> System.out.println("0.5 ms later"));
 * }
 * }
 */
public final class EventLoop implements Executor {


    static final long WAKE_TOKEN = -1L;
    static final long TIMER_TOKEN = -2L;
    private static final int AWAKE = 0, SLEEPING = 1;
    private static final int RUNNING = 0, SHUTTING_DOWN = 1, TERMINATED = 2;
    private static final int TASK_BATCH = 1024;
    private static final int INITIAL_EVENTS = 64;

    // counter indices
    static final int WAITS = 0, EVENTS = 1, CTLS = 2, WAKES_RECEIVED = 3, TASKS = 4, TIMERS = 5, ACCEPTED = 6,
            OPEN = 7, READ = 8, WRITTEN = 9, YIELDS = 10, ACCEPT_ERRORS = 11, FAILURES = 12, WAIT_NANOS = 13,
            WORK_NANOS = 14, PHASE_SEQ = 15, PHASE = 16, PHASE_SINCE = 17, WRITE_CALLS = 18, COUNTERS = 19;
    /** Values of counters[PHASE]: not yet (or no longer) accounted, inside the wait, outside it. */
    private static final long UNACCOUNTED = 0, WAITING = 1, WORKING = 2;

    private final Reactor reactor;
    private final int index;
    final Config config;
    private final LoopThread thread;
    private final Epoll epoll;
    private final EventFd wakeFd;
    private final TimerFd timerFd;   // only where epoll_pwait2 is missing
    private final EventArray events;

    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicInteger sleepState = new AtomicInteger(AWAKE);
    private volatile int runState = RUNNING;
    private volatile long shutdownDeadline;
    private final CountDownLatch started = new CountDownLatch(1);
    private final CountDownLatch terminated = new CountDownLatch(1);

    private final AtomicLongArray counters = new AtomicLongArray(COUNTERS);
    private final AtomicLong wakeupsSent = new AtomicLong();
    private volatile int eventCapacity = INITIAL_EVENTS;

    // ---- loop-thread state
    final TokenTable tokens = new TokenTable();
    private final PriorityQueue<Timeout> timers = new PriorityQueue<>((a, b) -> {
        long d = a.deadline - b.deadline;   // overflow-safe order of nanoTime values
        return d != 0 ? (d < 0 ? -1 : 1) : Long.compare(a.sequence, b.sequence);
    });
    private final AtomicLong timerSequence = new AtomicLong();
    private final AtomicInteger cancelledTimers = new AtomicInteger();
    private final ArrayDeque<Registration> stillReady = new ArrayDeque<>();
    /** Connections holding small writes of the current run, sent in one sendmsg each after it. */
    private final ArrayDeque<Connection> held = new ArrayDeque<>();
    /** A connection's gathering write, reused by every connection: parts, their offsets and lengths. */
    final MemorySegment[] iovParts = new MemorySegment[Connection.MAX_IOV + 1];
    final long[] iovStarts = new long[Connection.MAX_IOV + 1];
    final long[] iovLengths = new long[Connection.MAX_IOV + 1];
    private long armedTimerFd = Long.MIN_VALUE;
    private boolean shutdownBegun;
    /** In terminate()'s final run of the queued tasks: the loop refuses new ones, even its own. */
    private boolean draining;
    /** Loop iterations so far; a registration uses at most one read budget per iteration. */
    long iteration;
    /**
     * {@link System#nanoTime()} as the current iteration's wait returned: the clock of the
     * connections' idle progress. Read once per iteration rather than at every read and write,
     * so progress counts from the start of the iteration that made it (at most one iteration's
     * work earlier than exact, which an idle timeout of milliseconds or more cannot tell).
     */
    long iterationStart;
    private Arena arena;
    MemorySegment readBuffer;
    /** Views {@code readBuffer.asSlice(0, n)} by n, made once each (see {@link #readSlice}). */
    private MemorySegment[] readSlices;
    BufferPool pool;
    /** Times every handler run, for {@link SlowHandlerEvent} (see {@link #endRun}). */
    private HandlerTimer slow;
    /** Unregisters the loop's JMX bean (see {@link LoopMBeans}); null without one. Set before the thread starts. */
    Runnable unregisterBean;

    /**
     * Loads the classes the loop needs when the process is out of descriptors, before it is:
     * loading a class can open a file (from an exploded module directory, or a resource), which
     * fails with EMFILE exactly then.
     */
    private static final Class<?>[] PRELOADED = {
            Log.class, Timeout.class, Acceptor.class, Connection.class, DatagramEndpoint.class, BufferPool.class,
            BufferPool.Chunk.class, HandlerTimer.class, LoopCounters.class, NativeIOException.class,
            io.ffmepoll.epoll.ClosedDescriptorException.class, io.ffmepoll.epoll.Errors.class,
            java.util.concurrent.CancellationException.class, java.util.concurrent.TimeoutException.class,
            java.io.IOException.class};

    static {
        Log.log(System.Logger.Level.TRACE, () -> PRELOADED.length + " classes preloaded");
    }

    EventLoop(Reactor reactor, int index, Config config) throws NativeIOException {
        this.reactor = reactor;
        this.index = index;
        this.config = config;
        Epoll ep = null;
        EventFd wake = null;
        TimerFd timer = null;
        EventArray array = null;
        try {
            ep = Epoll.open();
            wake = EventFd.open();
            ep.add(wake, Interest.of(Interest.IN, Interest.ET), WAKE_TOKEN);
            if (!Epoll.hasPwait2()) {
                timer = TimerFd.open();
                ep.add(timer, Interest.of(Interest.IN, Interest.ET), TIMER_TOKEN);
            }
            array = EventArray.allocate(INITIAL_EVENTS);
        } catch (NativeIOException | RuntimeException e) {
            closeQuietly(timer);
            closeQuietly(wake);
            closeQuietly(ep);
            if (array != null) array.close();
            throw e;
        }
        this.epoll = ep;
        this.wakeFd = wake;
        this.timerFd = timer;
        this.events = array;
        this.thread = new LoopThread(config.threadName() + "-" + index);
    }

    void start() {
        thread.start();
        boolean interrupted = false;
        for (;;) {
            try {
                started.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    /**
     * This loop's index in its reactor, 0-based.
     * @return 0 to the number of loops less one
     */
    public int index() {
        return index;
    }

    /**
     * The reactor this loop belongs to.
     * @return the owning reactor
     */
    public Reactor reactor() {
        return reactor;
    }

    /** The loop thread's name. */
    String threadName() {
        return thread.getName();
    }

    /**
     * Whether the calling thread is this loop's thread.
     * @return true only on this loop's own thread
     */
    public boolean inEventLoop() {
        return Thread.currentThread() == thread;
    }

    /** Whether the calling thread is the thread of any event loop, of any reactor. */
    static boolean onLoopThread() {
        return Thread.currentThread() instanceof LoopThread;
    }

    /**
     * Whether shutdown has been requested.
     * @return true once shutdown has begun, grace period included
     */
    public boolean isShuttingDown() {
        return runState != RUNNING;
    }

    /**
     * Whether the loop thread has finished and released its descriptors.
     * @return true once the loop has ended
     */
    public boolean isTerminated() {
        return terminated.getCount() == 0;
    }

    /**
     * Runs {@code task} on this loop, after the tasks submitted before it. Callable from any
     * thread, including the loop's own (the task then runs in a later iteration, not
     * re-entrantly). A task accepted runs exactly once; one refused never runs. During a
     * graceful shutdown's grace period tasks are still accepted, so that work finished on other
     * threads can still write its reply (see {@link Handler#onShutdown}).
     * @throws RejectedExecutionException once the loop has terminated or is terminating (the
     *         grace is over); on the loop thread, once it is running the last of its queued
     *         tasks as it terminates (a task that re-executes itself cannot keep it from ending)
     */
    @Override
    public void execute(Runnable task) {
        Objects.requireNonNull(task, "task");
        if (inEventLoop()) {
            if (draining) throw rejected("task");
            tasks.offer(task);
            return;
        }
        if (runState == TERMINATED) throw rejected("task");
        tasks.offer(task);
        wakeup();
        // The loop drains the queue once after it becomes TERMINATED; a task offered after
        // that drain must not sit there forever. Exactly one side gets it: the drain, or us.
        if (runState == TERMINATED && tasks.remove(task)) throw rejected("task");
    }

    private RejectedExecutionException rejected(String what) {
        return new RejectedExecutionException("event loop " + index + " is "
                + (runState == TERMINATED ? "terminated" : "shutting down") + ": " + what + " not accepted");
    }

    /**
     * Runs {@code task} on this loop after {@code delay}.
     * @param delay how long from now
     * @param task what to run, on the loop thread
     * @return a handle that can cancel the task
     * @throws RejectedExecutionException as {@link #execute(Runnable)}
     */
    public Timeout schedule(Duration delay, Runnable task) {
        long nanos;
        try {
            nanos = delay.toNanos();
        } catch (ArithmeticException tooLong) {
            nanos = Long.MAX_VALUE / 2;
        }
        return scheduleAt(System.nanoTime() + Math.max(0, nanos), task);
    }

    /**
     * Runs {@code task} on this loop after {@code delay} {@code unit}s.
     * @param delay how long from now, in {@code unit}s
     * @param unit the unit of {@code delay}
     * @param task what to run, on the loop thread
     * @return a handle that can cancel the task
     * @throws RejectedExecutionException as {@link #execute(Runnable)}
     */
    public Timeout schedule(long delay, TimeUnit unit, Runnable task) {
        return scheduleAt(System.nanoTime() + Math.max(0, unit.toNanos(delay)), task);
    }

    /**
     * Runs {@code task} on this loop once {@link System#nanoTime()} reaches {@code deadline}.
     * @param deadline a {@link System#nanoTime()} value
     * @param task what to run, on the loop thread
     * @return a handle that can cancel the task
     * @throws RejectedExecutionException as {@link #execute(Runnable)}
     */
    public Timeout scheduleAt(long deadline, Runnable task) {
        Timeout t = new Timeout(this, deadline, timerSequence.getAndIncrement(), task);
        if (inEventLoop()) {
            if (runState == TERMINATED) throw rejected("timeout");   // no timer runs from here on
            timers.add(t);
        } else {
            execute(() -> timers.add(t));
        }
        return t;
    }

    /**
     * Runs {@code task} on this loop and completes the future with its result or exception.
     * @param <T> the task's result type
     * @param task what to run, on the loop thread
     * @return a future completed on the loop thread
     * @throws RejectedExecutionException as {@link #execute(Runnable)}
     */
    public <T> CompletableFuture<T> submit(Callable<T> task) {
        Objects.requireNonNull(task, "task");
        CompletableFuture<T> f = new CompletableFuture<>();
        execute(() -> {
            try {
                f.complete(task.call());
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        return f;
    }

    /**
     * Serves an open non-blocking socket on this loop with {@code handler}: connected, or with
     * a connect in progress (the future then completes once it is established, or fails).
     * Callable from any thread. The loop owns the socket from this call on, whatever happens:
     * once the loop is shutting down (grace period included) the socket is closed and the
     * future (or this call) fails with {@link RejectedExecutionException}. Cancelling the future before it completes gives
     * the connection up: the socket is closed (with {@link Handler#onClose} if it was already
     * registered), and {@code onOpen} is not called if it had not been.
     * {@snippet :
     * TcpStream s = ...;                         // e.g. accepted elsewhere
     * Connection c = loop.register(s, new Echo()).join();
     * }
     * @param socket an open non-blocking socket; the loop owns it from this call on
     * @param handler serves the connection
     * @return a future completed with the connection, after {@link Handler#onOpen}
     */
    public CompletableFuture<Connection> register(StreamSocket socket, Handler handler) {
        return register(socket, handler, 0);
    }

    /** As {@link #register(StreamSocket, Handler)}; a connect still in progress fails after {@code connectTimeoutNanos} (0: never). */
    CompletableFuture<Connection> register(StreamSocket socket, Handler handler, long connectTimeoutNanos) {
        Objects.requireNonNull(socket, "socket");
        Objects.requireNonNull(handler, "handler");
        CompletableFuture<Connection> f = new CompletableFuture<>();
        AtomicReference<Connection> registered = new AtomicReference<>();
        Runnable task = () -> {
            if (f.isDone()) {   // cancelled before it got here
                socket.close();
                return;
            }
            if (runState != RUNNING) {
                socket.close();
                f.completeExceptionally(rejected("registration"));
                return;
            }
            Connection c;
            try {
                c = Connection.open(this, socket, handler, connectTimeoutNanos);
            } catch (Throwable t) {   // open() closed the socket
                f.completeExceptionally(t);
                return;
            }
            c.opened.whenComplete((opened, e) -> {
                if (e != null) f.completeExceptionally(e);
                else f.complete(opened);
            });
            registered.set(c);
            if (f.isCancelled()) giveUp(c);   // cancelled while open() ran
        };
        try {
            if (runState != RUNNING) throw rejected("registration");   // tasks still run in the grace; registrations not
            execute(task);
        } catch (RejectedExecutionException e) {
            socket.close();
            throw e;
        }
        // Both sides publish, then look at the other: the task sets `registered` then checks for
        // a cancel; a cancel is set before this reads `registered`. One of them gives it up.
        f.whenComplete((c, e) -> {
            if (!f.isCancelled()) return;
            Connection r = registered.get();
            if (r == null) return;   // the task will see the cancel
            r.opened.cancel(false);  // no onOpen from now on, even if the connect completes first
            try {
                execute(() -> giveUp(r));
            } catch (RejectedExecutionException terminated) {
                // the terminating loop closes every connection it holds
            }
        });
        return f;
    }

    /** Closes a connection whose registration future was cancelled; loop thread. */
    private static void giveUp(Connection c) {
        c.closeNow(new CancellationException("connect cancelled"));
    }

    void timerCancelled() {
        cancelledTimers.incrementAndGet();
    }

    /**
     * This loop's counters now. Callable from any thread. Wait and work time include the phase
     * in progress (an idle loop's current wait counts as waiting before it returns).
     * @return a snapshot of this loop's counters
     */
    public LoopCounters counters() {
        AtomicLongArray c = counters;
        long wait, work;
        for (;;) {   // a consistent (wait, work, phase) triple: see enterPhase
            long seq = c.get(PHASE_SEQ);
            if ((seq & 1) != 0) {
                Thread.onSpinWait();
                continue;
            }
            wait = c.get(WAIT_NANOS);
            work = c.get(WORK_NANOS);
            long phase = c.get(PHASE);
            long since = c.get(PHASE_SINCE);
            if (c.get(PHASE_SEQ) != seq) continue;
            long now = System.nanoTime();
            if (phase == WAITING) wait += now - since;
            else if (phase == WORKING) work += now - since;
            break;
        }
        return new LoopCounters(index, c.get(WAITS), c.get(EVENTS), c.get(CTLS), wakeupsSent.get(),
                c.get(WAKES_RECEIVED), c.get(TASKS), c.get(TIMERS), c.get(ACCEPTED), c.get(OPEN), c.get(READ),
                c.get(WRITTEN), c.get(YIELDS), c.get(ACCEPT_ERRORS), c.get(FAILURES), wait, work, eventCapacity,
                c.get(WRITE_CALLS));
    }

    /**
     * Ends the phase in progress at {@code now}, adding it to wait or work time, and begins
     * {@code next}; loop thread only. A sequence number, odd while the fields change, lets
     * {@link #counters()} read them consistently without a lock. Accounting starts at the first
     * wait (start-up is not work) and ends at termination.
     */
    private void enterPhase(long next, long now) {
        AtomicLongArray c = counters;
        long seq = c.get(PHASE_SEQ);
        c.lazySet(PHASE_SEQ, seq + 1);   // the release stores below cannot move above this one
        long phase = c.get(PHASE);
        if (phase != UNACCOUNTED) {
            int slot = phase == WAITING ? WAIT_NANOS : WORK_NANOS;
            c.lazySet(slot, c.get(slot) + now - c.get(PHASE_SINCE));
        }
        c.lazySet(PHASE_SINCE, now);
        c.lazySet(PHASE, next);
        c.lazySet(PHASE_SEQ, seq + 2);
    }

    /** Adds to a counter; loop thread only (single writer, so a release store suffices). */
    void count(int counter, long delta) {
        counters.lazySet(counter, counters.get(counter) + delta);
    }

    /** Reads up to this many bytes get a cached view; longer ones are rare next to their bytes. */
    private static final int READ_SLICES_CACHED = 16 * 1024;

    /**
     * The first {@code n} bytes of the read buffer. A new slice per read would be the one
     * allocation on the echo path: the view escapes into the handler, so C2 cannot remove it.
     * Slices are immutable and a handler may use its data only during {@code onRead}, so one
     * view per length serves every read of that length.
     */
    MemorySegment readSlice(long n) {
        if (n >= readSlices.length) return readBuffer.asSlice(0, n);
        MemorySegment s = readSlices[(int) n];
        if (s == null) readSlices[(int) n] = s = readBuffer.asSlice(0, n);
        return s;
    }

    // ---- registration (loop thread)

    /**
     * Registers {@code r} for {@code d} with {@code interest}; the token goes in epoll_data.
     * On failure the slot is released and the exception propagates.
     */
    void register(Registration r, Descriptor d, Interest interest) throws NativeIOException {
        assert inEventLoop();
        // Once shutdown has begun nothing new is served: it would miss beginShutdown.
        if (shutdownBegun || runState == TERMINATED) throw rejected("registration");
        long token = tokens.add(r);
        r.token = token;
        try {
            count(CTLS, 1);
            epoll.add(d, interest, token);
        } catch (NativeIOException | RuntimeException e) {
            tokens.remove(token);
            throw e;
        }
    }

    /** Changes what {@code r}, registered for {@code d}, is watched for; its token stays. */
    void modify(Registration r, Descriptor d, Interest interest) throws NativeIOException {
        count(CTLS, 1);
        epoll.modify(d, interest, r.token);
    }

    /** Stops watching {@code d} (before it is closed elsewhere) and frees the token. */
    void deregister(Registration r, Descriptor d) {
        tokens.remove(r.token);
        if (d.isOpen()) {
            try {
                count(CTLS, 1);
                epoll.delete(d);
            } catch (NativeIOException | IllegalStateException ignored) {
                // already gone from the set: closed, or never added
            }
        }
    }

    /** Frees the token of a registration whose fd is being closed (close removes it from epoll). */
    void release(Registration r) {
        tokens.remove(r.token);
    }

    /** Puts {@code r} on the still-ready list: served before the next wait, which won't block. */
    void markReady(Registration r) {
        if (!r.queuedReady) {
            r.queuedReady = true;
            stillReady.add(r);
        }
    }

    /** {@code c} holds writes to send once the current run ends (see {@link #sendHeld}). */
    void sendAfterRun(Connection c) {
        held.add(c);
    }

    /**
     * Sends what connections held during the run that just ended, one gathering sendmsg each:
     * after every handler callback, task and timeout, and before every wait, so a held write
     * never waits for anything but the end of the code that made it.
     */
    private void sendHeld() {
        Connection c;
        while ((c = held.poll()) != null) c.sendHeld();
    }

    /** Wakes the loop if it sleeps; at most one eventfd write per sleep. */
    void wakeup() {
        if (sleepState.get() == SLEEPING && sleepState.compareAndSet(SLEEPING, AWAKE)) {
            wakeupsSent.incrementAndGet();
            try {
                wakeFd.signal(1);
            } catch (IllegalStateException closed) {
                // terminated meanwhile: nobody left to wake
            } catch (NativeIOException e) {
                Log.log(System.Logger.Level.WARNING, "event loop " + index + ": wakeup failed", e);
            }
        }
    }

    // ---- shutdown

    /** Asks the loop to shut down gracefully, closing what remains at {@code deadline}. */
    void shutdown(long deadline) {
        synchronized (this) {
            if (runState != RUNNING) return;
            shutdownDeadline = deadline;
            runState = SHUTTING_DOWN;
        }
        wakeup();
    }

    /** Waits for the loop thread to finish. */
    boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        if (inEventLoop()) return isTerminated();
        return terminated.await(timeout, unit);
    }

    // ---- the loop

    private void run() {
        try {
            loop();
        } catch (Throwable fatal) {
            Log.log(System.Logger.Level.ERROR, "event loop " + index + " failed; closing its connections", fatal);
        } finally {
            terminate();
        }
    }

    private void loop() throws NativeIOException {
        for (;;) {
            if (runState != RUNNING) {
                if (!shutdownBegun) {
                    shutdownBegun = true;
                    tokens.forEach(r -> guarded(r, Registration::beginShutdown));
                }
                if (tokens.size() == 0 || System.nanoTime() - shutdownDeadline >= 0) return;
            }
            sendHeld();   // writes made outside a run (onShutdown...) leave before the wait
            long timeout = timeoutNanos();
            if (timeout != 0) {
                sleepState.set(SLEEPING);
                // Re-check after publishing SLEEPING: a task offered before this point is seen
                // here; one offered after it sees SLEEPING and writes the eventfd.
                if (!tasks.isEmpty() || (runState != RUNNING && !shutdownBegun)) timeout = 0;
            }
            enterPhase(WAITING, System.nanoTime());
            int n = epoll.waitNanos(events, timeout);
            sleepState.set(AWAKE);
            long woke = System.nanoTime();
            iterationStart = woke;
            enterPhase(WORKING, woke);
            count(WAITS, 1);
            count(EVENTS, n);
            iteration++;

            for (int i = 0; i < n; i++) {
                long token = events.token(i);
                int bits = events.events(i);
                if (token == WAKE_TOKEN) {
                    // The eventfd sums the writes since the last read: this counts every write
                    // the kernel saw, independently of the senders' own count.
                    count(WAKES_RECEIVED, wakeFd.read());
                } else if (token == TIMER_TOKEN) {
                    timerFd.read();
                    armedTimerFd = Long.MIN_VALUE;
                } else {
                    Registration r = tokens.get(token);
                    if (r != null) dispatch(r, bits);   // null: closed earlier, drop
                }
            }
            if (events.growIfFull(n)) eventCapacity = events.capacity();
            serveStillReady();
            runTimers();
            runTasks();
        }
    }

    /** 0 if there is work now; else nanoseconds to the next timeout or shutdown deadline; -1: forever. */
    private long timeoutNanos() throws NativeIOException {
        if (!stillReady.isEmpty() || !tasks.isEmpty()) return 0;
        purgeCancelledTimers();
        long deadline = 0;
        boolean bounded = false;
        Timeout next = timers.peek();
        if (next != null) {
            deadline = next.deadline;
            bounded = true;
        }
        if (runState != RUNNING) {
            long sd = shutdownDeadline;
            if (!bounded || sd - deadline < 0) deadline = sd;
            bounded = true;
        }
        if (!bounded) return -1;
        long remaining = deadline - System.nanoTime();
        if (remaining <= 0) return 0;
        if (timerFd != null && remaining % 1_000_000 != 0) {
            // No epoll_pwait2: a millisecond wait rounds up, so let a timerfd end it on time.
            if (armedTimerFd != deadline) {
                timerFd.scheduleAt(deadline);
                armedTimerFd = deadline;
            }
        }
        return remaining;
    }

    /**
     * Drops cancelled timers: all of them once they are over half the heap (so the heap stays
     * within twice its live timers plus a small slack), and any at its head. O(1) when there is
     * nothing to do.
     */
    private void purgeCancelledTimers() {
        int cancelled = cancelledTimers.get();
        if (cancelled > 64 && cancelled > timers.size() / 2) {
            cancelledTimers.addAndGet(-cancelled);
            timers.removeIf(Timeout::isCancelled);
        }
        while (!timers.isEmpty() && timers.peek().isCancelled()) {
            timers.poll();
            cancelledTimers.decrementAndGet();
        }
    }

    private void dispatch(Registration r, int bits) {
        slow.begin();
        try {
            r.onEvents(bits);
        } catch (Throwable t) {
            crashed(r, t);
        }
        endRun(r, "events");
    }

    /** Ends the handler run {@code slow.begin()} started, recording it when JFR wants it. */
    private void endRun(Object what, String kind) {
        sendHeld();   // part of the run: the handler's output
        slow.end(index, what, kind);
    }

    private void serveStillReady() {
        // One turn each for those queued now; a connection that uses its budget again goes
        // to the back for the next iteration, after a zero-timeout wait lets new events in.
        for (int k = stillReady.size(); k > 0; k--) {
            Registration r = stillReady.poll();
            r.queuedReady = false;
            if (tokens.get(r.token) != r) continue;   // closed meanwhile
            if (r.servedIn == iteration) {
                // An event already gave it a budget in this iteration: its next turn is the next one.
                markReady(r);
                continue;
            }
            slow.begin();
            try {
                r.onStillReady();
            } catch (Throwable t) {
                crashed(r, t);
            }
            endRun(r, "ready");
        }
    }

    private void runTimers() {
        if (timers.isEmpty()) return;
        // Here, every iteration, and not only before a sleep: a loop that always has work would
        // otherwise keep every cancelled timer, and what its task holds (a closed connection).
        purgeCancelledTimers();
        long now = System.nanoTime();
        Timeout t;
        while ((t = timers.peek()) != null && t.deadline - now <= 0) {
            timers.poll();
            if (!t.claim()) {
                cancelledTimers.decrementAndGet();
                continue;
            }
            count(TIMERS, 1);
            slow.begin();
            try {
                t.task().run();
            } catch (Throwable e) {
                Log.log(System.Logger.Level.WARNING, "event loop " + index + ": timeout task failed", e);
            }
            endRun(t.task(), "timer");
        }
    }

    private void runTasks() {
        for (int k = 0; k < TASK_BATCH; k++) {
            Runnable task = tasks.poll();
            if (task == null) return;
            runTask(task);
        }
    }

    private void runTask(Runnable task) {
        count(TASKS, 1);
        slow.begin();
        try {
            task.run();
        } catch (Throwable e) {
            Log.log(System.Logger.Level.WARNING, "event loop " + index + ": task failed", e);
        }
        endRun(task, "task");
    }

    private void guarded(Registration r, java.util.function.Consumer<Registration> action) {
        try {
            action.accept(r);
        } catch (Throwable t) {
            crashed(r, t);
        }
    }

    /** A registration threw where it should not have: log, count and release it. */
    private void crashed(Registration r, Throwable t) {
        count(FAILURES, 1);
        Log.log(System.Logger.Level.WARNING, "event loop " + index + ": " + r + " failed; closing it", t);
        try {
            r.terminate();
        } catch (Throwable again) {
            Log.log(System.Logger.Level.WARNING, "event loop " + index + ": closing " + r + " failed", again);
        }
        tokens.remove(r.token);
    }

    /** Closes everything; runs on the loop thread as it exits. */
    private void terminate() {
        synchronized (this) {
            runState = TERMINATED;
        }
        enterPhase(UNACCOUNTED, System.nanoTime());   // a stopped loop's busy fraction stays put
        try {
            tokens.forEach(r -> {
                try {
                    r.terminate();
                } catch (Throwable t) {
                    Log.log(System.Logger.Level.WARNING, "event loop " + index + ": closing " + r + " failed", t);
                }
                tokens.remove(r.token);
            });
            stillReady.clear();
            // Tasks accepted so far still run (registration tasks see the loop closed and close
            // what they carry); from here on execute() refuses new ones, the loop's own too.
            // Other threads may each add one that passed the check before TERMINATED: bounded.
            draining = true;
            Runnable task;
            while ((task = tasks.poll()) != null) runTask(task);
            for (Timeout t : timers) t.cancel();   // they will never run: say so to their holders
            timers.clear();
        } finally {
            closeDescriptors();
        }
    }

    /**
     * Releases what a loop whose thread never started holds: a reactor whose later loop failed
     * to open must close the earlier ones before its constructor throws, not after their
     * threads get round to it.
     */
    void discard() {
        synchronized (this) {
            runState = TERMINATED;
        }
        closeDescriptors();
    }

    private void closeDescriptors() {
        closeQuietly(timerFd);
        closeQuietly(wakeFd);
        closeQuietly(epoll);
        events.close();
        if (pool != null) pool.close();
        if (arena != null) arena.close();
        if (unregisterBean != null) unregisterBean.run();   // gone once awaitTermination returns
        terminated.countDown();
    }

    /** Whether the loop has stopped taking registrations (terminating). */
    boolean isTerminating() {
        return runState == TERMINATED;
    }

    static void closeQuietly(AutoCloseable c) {
        if (c == null) return;
        try {
            c.close();
        } catch (Exception e) {
            Log.log(System.Logger.Level.DEBUG, "close failed", e);
        }
    }

    @Override
    public String toString() {
        return "EventLoop[" + index + (isTerminated() ? ", terminated" : isShuttingDown() ? ", shutting down" : "") + "]";
    }

    /** The loop's thread: carries its own errno scratch so syscalls skip the thread-local. */
    private final class LoopThread extends Thread implements NativeScratch.Holder {
        private NativeScratch scratch;

        LoopThread(String name) {
            super(name);
            setDaemon(false);
        }

        @Override
        public NativeScratch scratch() {
            NativeScratch s = scratch;
            if (s == null) scratch = s = new NativeScratch(Arena.ofAuto());
            return s;
        }

        @Override
        public void run() {
            try {
                iterationStart = System.nanoTime();   // for what runs before the first wait returns
                arena = Arena.ofConfined();
                scratch = new NativeScratch(arena);
                readBuffer = arena.allocate(config.readBufferSize(), 64);
                readSlices = new MemorySegment[(int) Math.min(readBuffer.byteSize(), READ_SLICES_CACHED) + 1];
                pool = new BufferPool(config.writeChunkSize(), 256);
                // Registers the JFR listener only: the event object waits for a recording.
                slow = new HandlerTimer();
            } finally {
                started.countDown();
            }
            EventLoop.this.run();
        }
    }
}
