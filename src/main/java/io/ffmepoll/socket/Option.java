package io.ffmepoll.socket;

import io.ffmepoll.internal.gen.Linux;
import io.ffmepoll.internal.sys.NativeAccess;

import java.util.Objects;

/**
 * A typed socket option: its level, its number and the Java type of its value.
 * <p>Set and read through {@link SocketDescriptor#setOption} and {@link SocketDescriptor#getOption},
 * or pass {@link #of(Object) values} to the factory methods so they are set before
 * {@code bind}/{@code connect}, where some options (buffer sizes, {@code SO_REUSEPORT},
 * {@code IPV6_V6ONLY}) must be. The kernel decides which options a socket accepts; one it
 * refuses fails with a {@link io.ffmepoll.epoll.NativeIOException} whose
 * {@link io.ffmepoll.epoll.NativeIOException#call() call()} names the option, as
 * {@code "setsockopt(SO_BUSY_POLL)"}.
 * {@snippet :
 * try (TcpStream s = TcpStream.connect(new InetSocketAddress("127.0.0.1", 8080),
 *         Option.SO_SNDBUF.of(64 * 1024))) {
 *     s.setOption(Option.TCP_NODELAY, true);
 *     boolean nodelay = s.getOption(Option.TCP_NODELAY);
 * }
 * }
 * @param <T> the value type: {@link Boolean} or {@link Integer}
 */
public final class Option<T> {

    static {
        NativeAccess.check();   // before anything reaches the bindings: a denial names its flag
    }

    enum Kind { BOOLEAN, INT, LINGER }

    private static final int SOL_SOCKET = Linux.SOL_SOCKET();
    private static final int TCP = Linux.IPPROTO_TCP();
    private static final int IPV6 = Linux.IPPROTO_IPV6();
    private static final int IP = Linux.IPPROTO_IP();

    /** {@code TCP_NODELAY}: send small segments at once instead of coalescing them (Nagle off). */
    public static final Option<Boolean> TCP_NODELAY = bool("TCP_NODELAY", TCP, Linux.TCP_NODELAY());
    /** {@code SO_REUSEADDR}: bind a port that has connections in TIME_WAIT. */
    public static final Option<Boolean> SO_REUSEADDR = bool("SO_REUSEADDR", SOL_SOCKET, Linux.SO_REUSEADDR());
    /** {@code SO_REUSEPORT}: several sockets of one user bind the same port; the kernel spreads connections. */
    public static final Option<Boolean> SO_REUSEPORT = bool("SO_REUSEPORT", SOL_SOCKET, Linux.SO_REUSEPORT());
    /** {@code SO_KEEPALIVE}: probe idle TCP connections. */
    public static final Option<Boolean> SO_KEEPALIVE = bool("SO_KEEPALIVE", SOL_SOCKET, Linux.SO_KEEPALIVE());
    /** {@code TCP_KEEPIDLE}: seconds of idleness before the first keep-alive probe. */
    public static final Option<Integer> TCP_KEEPIDLE = integer("TCP_KEEPIDLE", TCP, Linux.TCP_KEEPIDLE());
    /** {@code TCP_KEEPINTVL}: seconds between keep-alive probes. */
    public static final Option<Integer> TCP_KEEPINTVL = integer("TCP_KEEPINTVL", TCP, Linux.TCP_KEEPINTVL());
    /** {@code TCP_KEEPCNT}: unanswered probes before the connection is dropped. */
    public static final Option<Integer> TCP_KEEPCNT = integer("TCP_KEEPCNT", TCP, Linux.TCP_KEEPCNT());
    /**
     * {@code SO_RCVBUF}: receive buffer size in bytes. Linux doubles the value set (the extra
     * half is bookkeeping, {@code socket(7)}), and reading it back reports the doubled size.
     */
    public static final Option<Integer> SO_RCVBUF = integer("SO_RCVBUF", SOL_SOCKET, Linux.SO_RCVBUF());
    /** {@code SO_SNDBUF}: send buffer size in bytes; doubled by Linux like {@link #SO_RCVBUF}. */
    public static final Option<Integer> SO_SNDBUF = integer("SO_SNDBUF", SOL_SOCKET, Linux.SO_SNDBUF());
    /**
     * {@code SO_LINGER}: seconds {@code close} waits for unsent data, or {@code -1} for off (the
     * default). {@code 0} makes close abort the connection with an RST.
     * <p>A positive time makes the kernel's {@code close(2)} block until the unsent data is
     * acknowledged or the time runs out, even on a non-blocking socket; then the connection is
     * reset. This library never blocks a caller there: {@link SocketDescriptor#close()} marks
     * the socket closed and returns at once, and a daemon closer thread makes the lingering
     * {@code close(2)}, after which the fd number is released. The same holds for a socket
     * accepted from a listener with the option set (Linux copies it to accepted sockets) and
     * for a received socket. A reactor loop therefore never stalls on it.
     */
    public static final Option<Integer> SO_LINGER = new Option<>("SO_LINGER", SOL_SOCKET, Linux.SO_LINGER(),
            Kind.LINGER, Integer.class);
    /** {@code TCP_CORK}: hold partial segments until uncorked or 200 ms passed. */
    public static final Option<Boolean> TCP_CORK = bool("TCP_CORK", TCP, Linux.TCP_CORK());
    /** {@code TCP_NOTSENT_LOWAT}: report writable only when fewer unsent bytes than this are queued. */
    public static final Option<Integer> TCP_NOTSENT_LOWAT = integer("TCP_NOTSENT_LOWAT", TCP, Linux.TCP_NOTSENT_LOWAT());
    /** {@code TCP_FASTOPEN}: on a listener, the queue length for TFO requests (0 = off). */
    public static final Option<Integer> TCP_FASTOPEN = integer("TCP_FASTOPEN", TCP, Linux.TCP_FASTOPEN());
    /**
     * {@code TCP_DEFER_ACCEPT}: on a listener, seconds to wait for the first data before a
     * connection is accepted. The kernel keeps it as a SYN-ACK retransmission count, so the
     * value read back is rounded up to a retransmission boundary.
     */
    public static final Option<Integer> TCP_DEFER_ACCEPT = integer("TCP_DEFER_ACCEPT", TCP, Linux.TCP_DEFER_ACCEPT());
    /** {@code TCP_QUICKACK}: acknowledge at once; the kernel may leave quick-ack mode by itself. */
    public static final Option<Boolean> TCP_QUICKACK = bool("TCP_QUICKACK", TCP, Linux.TCP_QUICKACK());
    /**
     * {@code SO_BUSY_POLL}: microseconds to busy-poll the device queue on a blocking receive.
     * Raising it above {@code net.core.busy_read} needs {@code CAP_NET_ADMIN}.
     */
    public static final Option<Integer> SO_BUSY_POLL = integer("SO_BUSY_POLL", SOL_SOCKET, Linux.SO_BUSY_POLL());
    /** {@code IPV6_V6ONLY}: an IPv6 socket refuses IPv4 (no dual stack); set before bind. */
    public static final Option<Boolean> IPV6_V6ONLY = bool("IPV6_V6ONLY", IPV6, Linux.IPV6_V6ONLY());
    /** {@code SO_BROADCAST}: a UDP socket may send to a broadcast address (else {@code EACCES}). */
    public static final Option<Boolean> SO_BROADCAST = bool("SO_BROADCAST", SOL_SOCKET, Linux.SO_BROADCAST());
    /**
     * {@code IP_TOS}: the type-of-service byte of outgoing IPv4 packets (DSCP in the upper six
     * bits, ECN in the lower two, which the kernel manages for TCP), 0 to 255. An IPv6 socket
     * uses {@link #IPV6_TCLASS}.
     */
    public static final Option<Integer> IP_TOS = integer("IP_TOS", IP, Linux.IP_TOS());
    /** {@code IPV6_TCLASS}: the traffic class of outgoing IPv6 packets, 0 to 255, or -1 for the default. */
    public static final Option<Integer> IPV6_TCLASS = integer("IPV6_TCLASS", IPV6, Linux.IPV6_TCLASS());
    /** {@code IP_MULTICAST_LOOP}: IPv4 multicast this socket sends is looped back to local members (on by default). */
    public static final Option<Boolean> IP_MULTICAST_LOOP = bool("IP_MULTICAST_LOOP", IP, Linux.IP_MULTICAST_LOOP());
    /** {@code IP_MULTICAST_TTL}: the time-to-live of outgoing IPv4 multicast, 0 to 255 (1 by default: this link only). */
    public static final Option<Integer> IP_MULTICAST_TTL = integer("IP_MULTICAST_TTL", IP, Linux.IP_MULTICAST_TTL());
    /** {@code IPV6_MULTICAST_LOOP}: IPv6 multicast this socket sends is looped back to local members. */
    public static final Option<Boolean> IPV6_MULTICAST_LOOP = bool("IPV6_MULTICAST_LOOP", IPV6,
            Linux.IPV6_MULTICAST_LOOP());
    /** {@code IPV6_MULTICAST_HOPS}: the hop limit of outgoing IPv6 multicast, 0 to 255, or -1 for the route's default. */
    public static final Option<Integer> IPV6_MULTICAST_HOPS = integer("IPV6_MULTICAST_HOPS", IPV6,
            Linux.IPV6_MULTICAST_HOPS());
    /**
     * {@code TCP_USER_TIMEOUT}: milliseconds transmitted data may stay unacknowledged (or a zero
     * window unanswered) before the kernel drops the connection with {@code ETIMEDOUT}; 0, the
     * default, leaves it to the retransmission limits. Bounds how long a dead peer goes unnoticed
     * while writes are pending, where keep-alive only covers idle connections.
     */
    public static final Option<Integer> TCP_USER_TIMEOUT = integer("TCP_USER_TIMEOUT", TCP, Linux.TCP_USER_TIMEOUT());
    /**
     * {@code SO_INCOMING_CPU}: read, the CPU that handled the socket's most recent incoming
     * packets (-1 before any), to pin a connection's work where its interrupts land; set on a
     * {@code SO_REUSEPORT} listener, the CPU whose connections it prefers.
     */
    public static final Option<Integer> SO_INCOMING_CPU = integer("SO_INCOMING_CPU", SOL_SOCKET,
            Linux.SO_INCOMING_CPU());

    private final String name;
    final int level;
    final int number;
    final Kind kind;
    private final Class<T> type;
    final String setCall;
    final String getCall;

    private Option(String name, int level, int number, Kind kind, Class<T> type) {
        this.name = name;
        this.level = level;
        this.number = number;
        this.kind = kind;
        this.type = type;
        this.setCall = "setsockopt(" + name + ")";
        this.getCall = "getsockopt(" + name + ")";
    }

    private static Option<Boolean> bool(String name, int level, int number) {
        return new Option<>(name, level, number, Kind.BOOLEAN, Boolean.class);
    }

    private static Option<Integer> integer(String name, int level, int number) {
        return new Option<>(name, level, number, Kind.INT, Integer.class);
    }

    /**
     * The option's C name, as {@code "TCP_NODELAY"}.
     * @return the name used in messages
     */
    public String name() {
        return name;
    }

    /**
     * The value type.
     * @return the Java type of the option's value
     */
    public Class<T> type() {
        return type;
    }

    /**
     * This option paired with {@code value}, to pass to a socket factory method.
     * @param value the value to set
     * @return the pair
     */
    public Value<T> of(T value) {
        return new Value<>(this, value);
    }

    @Override
    public String toString() {
        return name;
    }

    /**
     * An option and the value to give it.
     * {@snippet :
     * TcpListener listener = TcpListener.bind(new InetSocketAddress("::", 0), 128,
     *         Option.SO_REUSEPORT.of(true), Option.IPV6_V6ONLY.of(false));
     * }
     * @param option the option
     * @param value its value
     * @param <T> the value type
     */
    public record Value<T>(Option<T> option, T value) {
        /** Checks neither part is null. */
        public Value {
            Objects.requireNonNull(option, "option");
            Objects.requireNonNull(value, "value");
        }
    }
}
