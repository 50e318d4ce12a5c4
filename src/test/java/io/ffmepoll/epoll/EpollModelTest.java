package io.ffmepoll.epoll;

import io.ffmepoll.socket.UnixStream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.state.Action;
import net.jqwik.api.state.ActionChain;
import net.jqwik.api.state.Transformer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Epoll against a model of the kernel: random sequences of add, modify, delete, close, write,
 * read, shutdown and zero-timeout waits over an eventfd, a pipe and a Unix socketpair, in
 * level-triggered, edge-triggered and one-shot modes; the model predicts every call's result
 * and exactly which tokens and bits each wait returns.
 *
 * <h2>The model</h2>
 * It follows the kernel's own mechanism (fs/eventpoll.c) rather than a summary of it, because
 * the summary ("ET reports once per edge") leaves out what actually makes an edge:
 * <ul>
 * <li>Each registration is on its file's wait queues and sits on the epoll ready list or not.
 *     ADD and MOD poll the file and put the item on the list if it is ready for the interest.</li>
 * <li>Every operation that changes a file wakes its wait queues with a key ({@code
 *     ep_poll_callback}): the item goes on the ready list unless the key is non-zero and shares
 *     no bit with the item's interest (ERR and HUP always included), or a fired one-shot item
 *     has no interest left. Which calls wake with which key is listed at each operation
 *     below (Linux 5.16 and later; this is what makes Linux ET re-report on new data even when
 *     the old data was not read).</li>
 * <li>A wait takes the list in order and polls each item: a non-zero {@code readiness &
 *     interest} is reported and, for level-triggered items only, the item goes back on the
 *     list's tail; a zero mask drops it; items past the array's capacity stay at the head, so
 *     waits into a small array go round the ready descriptors. A one-shot
 *     item keeps only its mode bits after reporting, until MOD re-arms it.</li>
 * </ul>
 * Where the kernel's wakeups depend on its version or on sizes, the generators avoid the case
 * instead of weakening an assertion: pipe reads always drain (a partial pipe read wakes other
 * readers in some versions), writes are small and bounded in number (no buffer ever fills, so
 * EPOLLOUT is steady), and no write goes to a pipe whose read end is closed (the wakeups on that
 * EPIPE path differ between versions).
 * <p>Run longer with {@code -Dffmepoll.model.scale=N} (see {@link ModelTries}).
 */
class EpollModelTest {

    static final int IN = Interest.IN.bits(), OUT = Interest.OUT.bits(), RDHUP = Interest.RDHUP.bits(),
            PRI = Interest.PRI.bits(), ERR = Interest.ERR.bits(), HUP = Interest.HUP.bits(),
            ET = Interest.ET.bits(), ONESHOT = Interest.ONESHOT.bits();
    /** The keys the kernel wakes wait queues with; 0 wakes every item. */
    static final int KEY_ALL = 0, KEY_IN = IN, KEY_OUT = OUT, KEY_SOCK_DATA = IN | PRI, KEY_SOCK_SPACE = OUT;
    /** Bounds that keep every buffer far from full: EPOLLOUT stays set everywhere. */
    static final int MAX_WRITE = 64, MAX_PENDING_WRITES = 12, MAX_PIPE_BYTES = 1024;
    /** The capacity of the array a plain wait uses: room for every target. */
    static final int WAIT_ALL = 8;

    /** The watched descriptors, by index: the eventfd, the pipe's two ends, the socketpair's two. */
    enum Target {
        EVENTFD("eventfd"), PIPE_READ("pipe.read"), PIPE_WRITE("pipe.write"), SOCK_A("sock.a"), SOCK_B("sock.b");

        final String label;

        Target(String label) {
            this.label = label;
        }

        @Override
        public String toString() {
            return label;
        }
    }

    private final List<World> worlds = new ArrayList<>();

    @Property(tries = 1000)
    @AddLifecycleHook(ModelTries.class)
    void epollReportsExactlyWhatTheKernelModelPredicts(@ForAll("chains") ActionChain<World> chain) {
        try {
            chain.run();
        } finally {
            worlds.forEach(World::close);
            worlds.clear();
        }
    }

    @Provide
    Arbitrary<ActionChain<World>> chains() {
        Arbitrary<Target> any = Arbitraries.of(Target.class);
        Arbitrary<Target> writable = Arbitraries.of(Target.EVENTFD, Target.PIPE_WRITE, Target.SOCK_A, Target.SOCK_B);
        Arbitrary<Target> readable = Arbitraries.of(Target.EVENTFD, Target.PIPE_READ, Target.SOCK_A, Target.SOCK_B);
        Arbitrary<Target> sockets = Arbitraries.of(Target.SOCK_A, Target.SOCK_B);
        Arbitrary<Integer> readiness = Arbitraries.of(IN, OUT, RDHUP, IN | OUT, IN | RDHUP, IN | OUT | RDHUP);
        Arbitrary<Integer> mode = Arbitraries.of(0, ET, ONESHOT, ET | ONESHOT);
        Arbitrary<Integer> interest = Combinators.combine(readiness, mode).as((r, m) -> r | m);
        Arbitrary<Integer> size = Arbitraries.integers().between(1, MAX_WRITE);
        return ActionChain.<World>startWith(this::newWorld)
                .withAction(4, step(Combinators.combine(any, interest).as((t, i) -> new Add(t, sensible(t, i)))))
                .withAction(2, step(Combinators.combine(any, interest).as((t, i) -> new Modify(t, sensible(t, i)))))
                .withAction(1, step(any.map(Delete::new)))
                .withAction(1, step(any.map(Close::new)))
                .withAction(1, step(Arbitraries.of(Group.class).map(Reopen::new)))
                .withAction(4, step(Combinators.combine(writable, size).as(Write::new)))
                .withAction(3, step(Combinators.combine(readable, size).as(Read::new)))
                .withAction(1, step(sockets.map(ShutdownOutput::new)))
                .withAction(5, step(Arbitraries.of(WAIT_ALL, WAIT_ALL, 1, 2).map(Wait::new)))
                .withMaxTransformations(40);
    }

    /**
     * The interest as a program would ask it of {@code t}: no IN on a pipe's write end and no
     * OUT on its read end. Whether the kernel queues a pipe end on both of the pipe's wait queues
     * or only on its own has changed between versions; with these interests both behave alike.
     */
    static int sensible(Target t, int interest) {
        int drop = t == Target.PIPE_WRITE ? IN : t == Target.PIPE_READ ? OUT : 0;
        int kept = interest & ~drop;
        return (kept & (IN | OUT | RDHUP)) != 0 ? kept : kept | (t == Target.PIPE_WRITE ? OUT : IN);
    }

    private World newWorld() {
        World w = new World();
        worlds.add(w);
        return w;
    }

    private static Action.Independent<World> step(Arbitrary<? extends Op> ops) {
        return () -> ops.map(op -> Transformer.mutate(op.toString(), op::apply));
    }

    // ---- the actions: each does the real call, asks the model, and compares

    /** One step of a chain; its toString is what a shrunk counterexample shows. */
    interface Op {
        void apply(World w);
    }

    record Add(Target t, int interest) implements Op {
        public void apply(World w) {
            w.expect(this, w.model.add(t, interest, w.nextToken(t)), () -> {
                w.epoll.add(w.descriptor(t), Interest.ofBits(interest), w.lastToken);
                return "ok";
            });
        }

        @Override
        public String toString() {
            return "add(" + t + ", " + Interest.describe(interest) + ")";
        }
    }

    record Modify(Target t, int interest) implements Op {
        public void apply(World w) {
            w.expect(this, w.model.modify(t, interest, w.nextToken(t)), () -> {
                w.epoll.modify(w.descriptor(t), Interest.ofBits(interest), w.lastToken);
                return "ok";
            });
        }

        @Override
        public String toString() {
            return "modify(" + t + ", " + Interest.describe(interest) + ")";
        }
    }

    record Delete(Target t) implements Op {
        public void apply(World w) {
            w.expect(this, w.model.delete(t), () -> {
                w.epoll.delete(w.descriptor(t));
                return "ok";
            });
        }

        @Override
        public String toString() {
            return "delete(" + t + ")";
        }
    }

    record Close(Target t) implements Op {
        public void apply(World w) {
            w.expect(this, w.model.close(t), () -> {
                w.descriptor(t).close();
                return "ok";
            });
        }

        @Override
        public String toString() {
            return "close(" + t + ")";
        }
    }

    /** The descriptors that are opened and closed together. */
    enum Group {
        EVENTFD(Target.EVENTFD), PIPE(Target.PIPE_READ, Target.PIPE_WRITE), SOCKETPAIR(Target.SOCK_A, Target.SOCK_B);

        final Target[] members;

        Group(Target... members) {
            this.members = members;
        }
    }

    /** Closes what is left of a group and opens a new one (fd numbers are likely reused). */
    record Reopen(Group g) implements Op {
        public void apply(World w) {
            w.expect(this, w.model.reopen(g), () -> {
                w.reopen(g);
                return "ok";
            });
        }

        @Override
        public String toString() {
            return "reopen(" + g.name().toLowerCase() + ")";
        }
    }

    record Write(Target t, int bytes) implements Op {
        public void apply(World w) {
            String expected = w.model.write(t, bytes);
            if (expected == null) return;   // the generators' bounds: see the class comment
            w.expect(this, expected, () -> switch (t) {
                case EVENTFD -> w.eventFd.signal(bytes) ? "ok" : "overflow";
                case PIPE_WRITE -> result(w.pipe.sink().write(w.buffer.asSlice(0, bytes)));
                default -> result(w.socket(t).write(w.buffer.asSlice(0, bytes)));
            });
        }

        @Override
        public String toString() {
            return t == Target.EVENTFD ? "signal(eventfd, " + bytes + ")" : "write(" + t + ", " + bytes + " bytes)";
        }
    }

    record Read(Target t, int bytes) implements Op {
        public void apply(World w) {
            w.expect(this, w.model.read(t, bytes), () -> switch (t) {
                case EVENTFD -> Long.toString(w.eventFd.read());
                case PIPE_READ -> result(w.pipe.source().read(w.buffer));   // drains: see the class comment
                default -> result(w.socket(t).read(w.buffer.asSlice(0, bytes)));
            });
        }

        @Override
        public String toString() {
            return switch (t) {
                case EVENTFD -> "read(eventfd)";
                case PIPE_READ -> "drain(pipe.read)";
                default -> "read(" + t + ", " + bytes + " bytes)";
            };
        }
    }

    record ShutdownOutput(Target t) implements Op {
        public void apply(World w) {
            w.expect(this, w.model.shutdownOutput(t), () -> {
                w.socket(t).shutdownOutput();
                return "ok";
            });
        }

        @Override
        public String toString() {
            return "shutdownOutput(" + t + ")";
        }
    }

    /** epoll_wait(0) into an array of {@code capacity} events: 1 and 2 are often fewer than are ready. */
    record Wait(int capacity) implements Op {
        public void apply(World w) {
            List<String> expected = w.model.await(capacity).stream().map(w::describe).toList();
            EventArray array = w.arrays.get(capacity);
            int n;
            try {
                n = w.epoll.wait(array, 0);
            } catch (NativeIOException e) {
                throw new AssertionError("wait failed: " + e, e);
            }
            List<String> actual = new ArrayList<>();
            for (int i = 0; i < n; i++) actual.add(w.describe(new long[] {array.token(i), array.events(i)}));
            assertEquals(expected, actual, () -> this + " after " + w.history);
            w.history.add(this + " = " + actual);
        }

        @Override
        public String toString() {
            return capacity == WAIT_ALL ? "wait" : "wait(max " + capacity + ")";
        }
    }

    static String result(long n) {
        return n == Descriptor.EOF ? "EOF" : n == Descriptor.WOULD_BLOCK ? "WOULD_BLOCK" : Long.toString(n);
    }

    interface Call {
        String call() throws Exception;
    }

    // ---- the real descriptors

    /** One chain's epoll instance and descriptors, with the model that shadows them. */
    static final class World {
        final KernelModel model = new KernelModel();
        final Arena arena = Arena.ofShared();
        final MemorySegment buffer = arena.allocate(64 * 1024);
        final Epoll epoll;
        final Map<Integer, EventArray> arrays = Map.of(1, EventArray.allocate(1), 2, EventArray.allocate(2),
                WAIT_ALL, EventArray.allocate(WAIT_ALL));
        final List<String> history = new ArrayList<>();
        EventFd eventFd;
        Pipe pipe;
        UnixStream[] pair;
        long sequence;
        long lastToken;

        World() {
            try {
                epoll = Epoll.open();
                for (Group g : Group.values()) open(g);
            } catch (NativeIOException e) {
                throw new AssertionError(e);
            }
        }

        private void open(Group g) throws NativeIOException {
            switch (g) {
                case EVENTFD -> eventFd = EventFd.open();
                case PIPE -> pipe = Pipe.open();
                case SOCKETPAIR -> pair = UnixStream.pair();
            }
        }

        void reopen(Group g) throws NativeIOException {
            for (Target t : g.members) descriptor(t).close();
            open(g);
        }

        Descriptor descriptor(Target t) {
            return switch (t) {
                case EVENTFD -> eventFd;
                case PIPE_READ -> pipe.source();
                case PIPE_WRITE -> pipe.sink();
                case SOCK_A -> pair[0];
                case SOCK_B -> pair[1];
            };
        }

        UnixStream socket(Target t) {
            return (UnixStream) descriptor(t);
        }

        /** A fresh token naming its target: the target in the high half, a sequence number below. */
        long nextToken(Target t) {
            lastToken = ((long) t.ordinal() << 32) | ++sequence;
            return lastToken;
        }

        String name(long token) {
            int target = (int) (token >>> 32);
            return (target < Target.values().length ? Target.values()[target].label : "?") + "#" + (int) token;
        }

        /** An event as {@code target#sequence=BITS}: {@code {token, bits}}. */
        String describe(long[] event) {
            return name(event[0]) + "=" + Interest.describe((int) event[1]);
        }

        /** Runs {@code call}, turning its result or failure into an outcome, and compares with the model's. */
        void expect(Op op, String expected, Call call) {
            String actual;
            try {
                actual = call.call();
            } catch (NativeIOException e) {
                actual = e.errnoName();
            } catch (IllegalStateException e) {
                actual = "closed";
            } catch (Exception e) {
                throw new AssertionError(op + " threw " + e, e);
            }
            assertEquals(expected, actual, () -> op + " after " + history);
            history.add(op + " = " + actual);
        }

        void close() {
            for (Target t : Target.values()) descriptor(t).close();
            epoll.close();
            arrays.values().forEach(EventArray::close);
            arena.close();
        }
    }

    // ---- the model

    /** A registration as eventpoll.c keeps it (struct epitem). */
    static final class Item {
        int events;     // interest | ERR | HUP; after a one-shot report, only ET|ONESHOT
        long token;

        boolean disabled() {
            return (events & ~(ET | ONESHOT)) == 0;
        }
    }

    /** What the model knows of one descriptor. */
    static final class File {
        boolean open = true;
        Item item;
        // eventfd
        long count;
        // pipe (kept on the read end)
        int pipeBytes;
        // socket end: what this end can read, one entry per write (skb), and its sk_shutdown/sk_err
        final ArrayDeque<int[]> queue = new ArrayDeque<>();
        boolean rcvShutdown, sendShutdown, error;
    }

    /** The kernel's behaviour for the five descriptors and one epoll instance. */
    static final class KernelModel {
        final File[] files = new File[Target.values().length];
        /** The ready list (ep->rdllist), in order: a wakeup appends; a wait takes from the head. */
        final List<Target> ready = new ArrayList<>();

        KernelModel() {
            for (int i = 0; i < files.length; i++) files[i] = new File();
        }

        File f(Target t) {
            return files[t.ordinal()];
        }

        static Target peer(Target t) {
            return switch (t) {
                case SOCK_A -> Target.SOCK_B;
                case SOCK_B -> Target.SOCK_A;
                case PIPE_READ -> Target.PIPE_WRITE;
                case PIPE_WRITE -> Target.PIPE_READ;
                case EVENTFD -> Target.EVENTFD;
            };
        }

        /** The file's poll mask (eventfd_poll, pipe_poll, unix_poll), buffers never full. */
        int poll(Target t) {
            File f = f(t);
            return switch (t) {
                case EVENTFD -> (f.count > 0 ? IN : 0) | OUT;
                case PIPE_READ -> (f.pipeBytes > 0 ? IN : 0) | (f(Target.PIPE_WRITE).open ? 0 : HUP);
                case PIPE_WRITE -> OUT | (f(Target.PIPE_READ).open ? 0 : ERR);
                case SOCK_A, SOCK_B -> (f.error ? ERR : 0) | (f.rcvShutdown && f.sendShutdown ? HUP : 0)
                        | (f.rcvShutdown ? RDHUP | IN : 0) | (f.queue.isEmpty() ? 0 : IN) | OUT;
            };
        }

        /**
         * Wakes the wait queue {@code t} polls on with {@code key} (ep_poll_callback). A pipe has
         * a queue for readers and one for writers: a write wakes the readers' queue, a close
         * both (so only the peer end's item is left to see it).
         */
        void wake(Target t, int key) {
            Item item = f(t).item;
            if (item == null || item.disabled()) return;
            if (key != KEY_ALL && (key & item.events) == 0) return;
            list(t);
        }

        void list(Target t) {
            if (!ready.contains(t)) ready.add(t);
        }

        String add(Target t, int interest, long token) {
            File f = f(t);
            if (!f.open) return "closed";
            if (f.item != null) return "EEXIST";
            f.item = new Item();
            f.item.token = token;
            f.item.events = interest | ERR | HUP;
            if ((poll(t) & f.item.events) != 0) list(t);   // ep_insert polls once
            return "ok";
        }

        String modify(Target t, int interest, long token) {
            File f = f(t);
            if (!f.open) return "closed";
            if (f.item == null) return "ENOENT";
            f.item.token = token;
            f.item.events = interest | ERR | HUP;
            if ((poll(t) & f.item.events) != 0) list(t);   // ep_modify polls; never unlists
            return "ok";
        }

        String delete(Target t) {
            File f = f(t);
            if (!f.open) return "closed";
            if (f.item == null) return "ENOENT";
            f.item = null;
            ready.remove(t);
            return "ok";
        }

        /** close(2): the item goes first (eventpoll_release), then the release wakes the peer. */
        String close(Target t) {
            File f = f(t);
            if (!f.open) return "ok";   // Descriptor.close is idempotent
            f.open = false;
            f.item = null;
            ready.remove(t);
            Target p = peer(t);
            File peer = f(p);
            switch (t) {
                case PIPE_READ, PIPE_WRITE -> {
                    if (peer.open) wake(p, KEY_ALL);   // pipe_release: wake_up_interruptible_all
                }
                case SOCK_A, SOCK_B -> {
                    // unix_release_sock: the peer may send and receive no more; unread data here
                    // makes it ECONNRESET; sk_state_change wakes everything.
                    if (peer.open) {
                        peer.rcvShutdown = peer.sendShutdown = true;
                        if (!f.queue.isEmpty()) peer.error = true;
                        wake(p, KEY_ALL);
                    }
                    f.queue.clear();
                }
                case EVENTFD -> { }
            }
            return "ok";
        }

        String reopen(Group g) {
            for (Target t : g.members) close(t);
            for (Target t : g.members) files[t.ordinal()] = new File();
            return "ok";
        }

        /** The expected outcome, or null when the generators' bounds skip this write. */
        String write(Target t, int bytes) {
            File f = f(t);
            if (!f.open) return "closed";
            switch (t) {
                case EVENTFD -> {
                    f.count += bytes;
                    wake(t, KEY_IN);                       // eventfd_write
                    return "ok";
                }
                case PIPE_WRITE -> {
                    File source = f(Target.PIPE_READ);
                    if (!source.open || source.pipeBytes + bytes > MAX_PIPE_BYTES) return null;
                    source.pipeBytes += bytes;
                    // pipe_write: readers are woken on every write once epoll has polled the pipe
                    // ("epoll nonsensically wants a wakeup"); the writers' queue is not woken, so
                    // an ET write end reports OUT again only after the read end closes (a read
                    // of a full pipe would too, but no pipe fills here).
                    wake(Target.PIPE_READ, KEY_IN);
                    return Integer.toString(bytes);
                }
                default -> {
                    if (f.sendShutdown) return "EPIPE";    // own SHUT_WR, or the peer closed
                    File peer = f(peer(t));
                    if (peer.queue.size() >= MAX_PENDING_WRITES) return null;
                    peer.queue.add(new int[] {bytes});
                    wake(peer(t), KEY_SOCK_DATA);          // sk_data_ready = sock_def_readable
                    return Integer.toString(bytes);
                }
            }
        }

        String read(Target t, int bytes) {
            File f = f(t);
            if (!f.open) return "closed";
            switch (t) {
                case EVENTFD -> {
                    long v = f.count;
                    if (v == 0) return "0";                // EAGAIN: no wakeup
                    f.count = 0;
                    wake(t, KEY_OUT);                      // eventfd_read
                    return Long.toString(v);
                }
                case PIPE_READ -> {
                    // A draining read: the pipe ends empty and was never full, so no wakeup.
                    int v = f.pipeBytes;
                    f.pipeBytes = 0;
                    if (v > 0) return Integer.toString(v);
                    return f(Target.PIPE_WRITE).open ? "WOULD_BLOCK" : "EOF";
                }
                default -> {
                    if (!f.queue.isEmpty()) {
                        int taken = 0;
                        boolean freed = false;
                        while (taken < bytes && !f.queue.isEmpty()) {
                            int[] skb = f.queue.peek();
                            int n = Math.min(skb[0], bytes - taken);
                            skb[0] -= n;
                            taken += n;
                            if (skb[0] == 0) {
                                f.queue.poll();
                                freed = true;
                            }
                        }
                        // A consumed skb is freed: sock_wfree -> unix_write_space wakes the writer.
                        if (freed && f(peer(t)).open) wake(peer(t), KEY_SOCK_SPACE);
                        return Integer.toString(taken);
                    }
                    if (f.error) {                         // sock_error: reported once, then cleared
                        f.error = false;
                        return "ECONNRESET";
                    }
                    return f.rcvShutdown ? "EOF" : "WOULD_BLOCK";
                }
            }
        }

        /** unix_shutdown(SHUT_WR): both ends get sk_state_change. */
        String shutdownOutput(Target t) {
            File f = f(t);
            if (!f.open) return "closed";
            f.sendShutdown = true;
            wake(t, KEY_ALL);
            File peer = f(peer(t));
            if (peer.open) {
                peer.rcvShutdown = true;
                wake(peer(t), KEY_ALL);
            }
            return "ok";
        }

        /**
         * epoll_wait(0) with room for {@code max} events (ep_send_events): {token, bits} of each
         * event in order. The list is taken whole; each item is polled in turn, and reported
         * unless its mask is 0; a level-triggered item goes back on the (new) list's tail. Items
         * beyond {@code max} are not polled and return to the list's head, so successive waits
         * go round the ready descriptors (epoll(7)).
         */
        List<long[]> await(int max) {
            List<Target> taken = new ArrayList<>(ready);
            ready.clear();
            List<long[]> reported = new ArrayList<>();
            int i = 0;
            for (; i < taken.size() && reported.size() < max; i++) {
                Target t = taken.get(i);
                Item item = f(t).item;
                int mask = poll(t) & item.events;
                if (mask == 0) continue;
                reported.add(new long[] {item.token, mask});
                if ((item.events & ONESHOT) != 0) {
                    item.events &= ET | ONESHOT;
                } else if ((item.events & ET) == 0) {
                    ready.add(t);
                }
            }
            ready.addAll(0, taken.subList(i, taken.size()));
            return reported;
        }
    }
}
