package io.ffmepoll.epoll;

import io.ffmepoll.internal.gen.Linux;
import io.ffmepoll.internal.sys.NativeAccess;

import java.util.StringJoiner;

/**
 * What a registration asks epoll to report, and how: an immutable set of {@code EPOLL*} flags.
 * <p>Readiness flags ({@link #IN}, {@link #OUT}, {@link #RDHUP}, {@link #PRI}) combine with
 * mode flags ({@link #ET}, {@link #ONESHOT}, {@link #EXCLUSIVE}, {@link #WAKEUP}). {@link #ERR}
 * and {@link #HUP} are always reported; asking for them is allowed and changes nothing.
 * An Interest is never empty. Instances are immutable and safe to share between threads.
 * {@snippet :
 * Interest edge = Interest.IN.with(Interest.OUT).with(Interest.RDHUP).with(Interest.ET);
 * assert edge.contains(Interest.ET) && !edge.contains(Interest.ONESHOT);
 * }
 */
public final class Interest {

    static {
        NativeAccess.check();   // before anything reaches the bindings: a denial names its flag
    }

    /** Readable: data, a pending connection, or end of stream ({@code EPOLLIN}). */
    public static final Interest IN = new Interest(Linux.EPOLLIN());
    /** Writable: room in the send buffer, or a non-blocking connect finished ({@code EPOLLOUT}). */
    public static final Interest OUT = new Interest(Linux.EPOLLOUT());
    /** The peer shut down its writing side, seen without reading to end of stream ({@code EPOLLRDHUP}). */
    public static final Interest RDHUP = new Interest(Linux.EPOLLRDHUP());
    /** Urgent (out-of-band) data or another exceptional condition is pending ({@code EPOLLPRI}). */
    public static final Interest PRI = new Interest(Linux.EPOLLPRI());
    /** An error is pending on the descriptor, read with {@code SO_ERROR} ({@code EPOLLERR}); always reported. */
    public static final Interest ERR = new Interest(Linux.EPOLLERR());
    /** Hang-up: both directions are closed, or a pipe lost its other end ({@code EPOLLHUP}); always reported. */
    public static final Interest HUP = new Interest(Linux.EPOLLHUP());
    /** Edge-triggered: report a change of readiness once; drain to EAGAIN before waiting again. */
    public static final Interest ET = new Interest(Linux.EPOLLET());
    /** Report once, then stay disabled until {@link Epoll#modify} re-arms. */
    public static final Interest ONESHOT = new Interest(Linux.EPOLLONESHOT());
    /** Wake one of several epoll instances waiting on the same fd; ADD only (MOD says EINVAL). */
    public static final Interest EXCLUSIVE = new Interest(Linux.EPOLLEXCLUSIVE());
    /** Hold a wakeup source while the event is pending (needs CAP_BLOCK_SUSPEND, else ignored). */
    public static final Interest WAKEUP = new Interest(Linux.EPOLLWAKEUP());

    private static final Interest[] ALL = {IN, OUT, RDHUP, PRI, ERR, HUP, ET, ONESHOT, EXCLUSIVE, WAKEUP};
    private static final String[] NAMES =
            {"IN", "OUT", "RDHUP", "PRI", "ERR", "HUP", "ET", "ONESHOT", "EXCLUSIVE", "WAKEUP"};

    private final int bits;

    private Interest(int bits) {
        this.bits = bits;
    }

    /**
     * The union of some flags.
     * @param first a flag or set of flags
     * @param rest more of them
     * @return an Interest holding every flag of {@code first} and of {@code rest}
     */
    public static Interest of(Interest first, Interest... rest) {
        int b = first.bits;
        for (Interest i : rest) b |= i.bits;
        return new Interest(b);
    }

    /**
     * The Interest with exactly these {@code EPOLL*} bits.
     * @param bits {@code EPOLL*} flags or'ed together, as an event word holds them
     * @return the Interest with those bits
     * @throws IllegalArgumentException if {@code bits} is 0 or has a bit that is not an epoll flag
     */
    public static Interest ofBits(int bits) {
        int known = 0;
        for (Interest i : ALL) known |= i.bits;
        if (bits == 0 || (bits & ~known) != 0) {
            throw new IllegalArgumentException("not a set of epoll flags: 0x" + Integer.toHexString(bits));
        }
        return new Interest(bits);
    }

    /**
     * This Interest plus other flags.
     * @param other the flags to add
     * @return an Interest with the flags of both ({@code this} if nothing is new)
     */
    public Interest with(Interest other) {
        return (bits | other.bits) == bits ? this : new Interest(bits | other.bits);
    }

    /**
     * This Interest less some flags.
     * @param other the flags to remove
     * @return an Interest with the flags of this one that {@code other} lacks
     * @throws IllegalArgumentException if nothing would remain
     */
    public Interest without(Interest other) {
        return ofBits(bits & ~other.bits);
    }

    /**
     * Tells whether this Interest holds some flags.
     * @param other the flags to look for
     * @return whether every flag of {@code other} is in this Interest
     */
    public boolean contains(Interest other) {
        return (bits & other.bits) == other.bits;
    }

    /**
     * The flags as a number.
     * @return the {@code EPOLL*} bits, as {@code epoll_ctl} takes them
     */
    public int bits() {
        return bits;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Interest i && i.bits == bits;
    }

    @Override
    public int hashCode() {
        return bits;
    }

    @Override
    public String toString() {
        return describe(bits);
    }

    /**
     * Names the {@code EPOLL*} bits of an event word, for logs and messages.
     * @param bits an event word, as {@link EventArray#events} returns it
     * @return the flags' names joined by {@code |}, as {@code "IN|RDHUP"}; unknown bits in hex;
     *         {@code "0"} for none
     */
    public static String describe(int bits) {
        StringJoiner j = new StringJoiner("|");
        int rest = bits;
        for (int k = 0; k < ALL.length; k++) {
            if ((bits & ALL[k].bits) != 0) {
                j.add(NAMES[k]);
                rest &= ~ALL[k].bits;
            }
        }
        if (rest != 0) j.add("0x" + Integer.toHexString(rest));
        return j.length() == 0 ? "0" : j.toString();
    }
}
