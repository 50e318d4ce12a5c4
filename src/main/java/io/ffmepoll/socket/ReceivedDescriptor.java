package io.ffmepoll.socket;

import io.ffmepoll.epoll.Descriptor;
import io.ffmepoll.epoll.Errors;
import io.ffmepoll.epoll.NativeIOException;
import io.ffmepoll.internal.gen.Linux;
import io.ffmepoll.internal.sys.NativeAccess;
import io.ffmepoll.internal.sys.NativeScratch;
import io.ffmepoll.internal.sys.Sys;

import java.lang.foreign.MemorySegment;

/**
 * A descriptor this library did not open, owned here like any other: received from another
 * process or socket ({@code SCM_RIGHTS}), or {@linkplain #adopt(int) adopted} from a raw number
 * (inherited, or opened by other code). Close it exactly once, or turn it into a typed socket.
 * <p>A received one arrives close-on-exec ({@code MSG_CMSG_CLOEXEC}). Its other status flags,
 * non-blocking included, belong to the open file it refers to, which is shared with the sender:
 * a descriptor the sender had in blocking mode blocks here too.
 * <h2>Typed sockets</h2>
 * {@link #asTcpStream()}, {@link #asTcpListener()}, {@link #asUdpSocket()},
 * {@link #asUnixStream()}, {@link #asUnixListener()} and {@link #asUnixDatagram()} check what
 * the descriptor really is ({@code SO_DOMAIN}, {@code SO_TYPE}, {@code SO_PROTOCOL},
 * {@code SO_ACCEPTCONN}) and, if it matches, move its ownership to a new socket object: this
 * object is then detached (closed for use, the fd not closed). A mismatch throws
 * {@link IllegalArgumentException} saying what the descriptor is, and leaves it open and owned
 * here. The new socket is made non-blocking ({@code O_NONBLOCK}, which the open file shares
 * with every other descriptor of it, in other processes too) and close-on-exec, as every
 * socket of this library is.
 * {@snippet :
 * List<ReceivedDescriptor> fds = new ArrayList<>();
 * int n = stream.receiveDescriptors(buffer, fds);
 * for (ReceivedDescriptor fd : fds) {
 *     try (fd) {                               // closes it only if not converted
 *         TcpStream client = fd.asTcpStream();  // IllegalArgumentException if it is not one
 *         epoll.add(client, Interest.IN, token++);
 *     }
 * }
 * }
 * <p>Thread-safety: as for every {@link Descriptor}, {@link #close()} may come from any thread;
 * reads, writes and conversions are meant for one thread at a time.
 */
public final class ReceivedDescriptor extends Descriptor {

    private static final int SOL_SOCKET = Linux.SOL_SOCKET();
    private static final int AF_INET = Linux.AF_INET();
    private static final int AF_INET6 = Linux.AF_INET6();
    private static final int AF_UNIX = Linux.AF_UNIX();
    private static final int ENOTSOCK = Linux.ENOTSOCK();

    ReceivedDescriptor(int fd) {
        super(fd);
    }

    /**
     * Takes ownership of a raw descriptor number: from now on the returned object closes it,
     * exactly once, and nothing else may. This is an ownership transfer the library cannot
     * verify, so it is restricted like the JDK's own restricted methods: the calling module
     * must have native access enabled ({@code --enable-native-access=M}, or
     * {@code --enable-native-access=ALL-UNNAMED} for code on the class path), and is refused
     * otherwise. Adopting a number that something else still closes or uses (a {@code
     * FileDescriptor} of a JDK channel, a descriptor another object of this library owns) ends
     * in a double close, which can close a stranger's descriptor that reused the number.
     * <p>The descriptor's flags are left as they are; {@link #asTcpListener()} and the other
     * conversions make a socket non-blocking and close-on-exec. Thread-safe.
     * {@snippet :
     * // A listener inherited from a service manager (systemd socket activation: fd 3).
     * TcpListener listener = ReceivedDescriptor.adopt(3).asTcpListener();
     * }
     * @param fd an open descriptor that nothing else will close
     * @return the owner of {@code fd}
     * @throws IllegalCallerException if the calling module does not have native access enabled;
     *         the message names the flag to add
     * @throws IllegalArgumentException if {@code fd} is negative or not an open descriptor
     * @throws NativeIOException if checking the descriptor fails otherwise
     */
    public static ReceivedDescriptor adopt(int fd) throws NativeIOException {
        NativeAccess.checkCaller(NativeAccess.CALLERS.getCallerClass(), "ReceivedDescriptor.adopt");
        if (fd < 0) throw new IllegalArgumentException("not a file descriptor: " + fd);
        int r = Sys.fcntl(fd, Linux.F_GETFD(), 0);
        if (r == -Errors.EBADF) throw new IllegalArgumentException("fd " + fd + " is not open");
        Errors.check("fcntl(F_GETFD)", r);
        return new ReceivedDescriptor(fd);
    }

    /** A received socket may have SO_LINGER on: its close then goes to a closer thread. */
    @Override
    protected boolean closeMayBlock(int fd) {
        return SocketDescriptor.lingers(fd);
    }

    /**
     * Reads into {@code dst} ({@code read(2)}); heap memory is staged as for sockets.
     * One thread at a time.
     * @param dst where the bytes go
     * @return bytes read, {@link #EOF}, or {@link #WOULD_BLOCK}
     * @throws IllegalArgumentException if {@code dst} is read-only
     * @throws NativeIOException any error but {@code EAGAIN}
     */
    public int read(MemorySegment dst) throws NativeIOException {
        return readBytes(dst, Transfer.FILE);
    }

    /**
     * Writes from {@code src} ({@code write(2)}); heap memory is staged as for sockets.
     * One thread at a time.
     * @param src the bytes to write
     * @return bytes written or {@link #WOULD_BLOCK}
     * @throws NativeIOException any error but {@code EAGAIN}, such as {@code EPIPE}
     */
    public int write(MemorySegment src) throws NativeIOException {
        return writeBytes(src, Transfer.FILE);
    }

    // ---- conversions to typed sockets

    /**
     * This descriptor as a TCP connection, if it is one: an IPv4 or IPv6 {@code SOCK_STREAM}
     * TCP socket that is not listening. Connected or still connecting (then
     * {@link TcpStream#finishConnect()} completes it). Ownership moves to the result. One thread at a time.
     * @return the stream, owning the fd
     * @throws IllegalArgumentException if the descriptor is something else (then it stays here)
     * @throws IllegalStateException if closed or detached
     * @throws NativeIOException if a check or a flag change fails
     */
    public TcpStream asTcpStream() throws NativeIOException {
        Kind k = identify(Expect.TCP, false, "a TCP stream");
        return take(new TcpStream(k.fd, k.domain, k.connected));
    }

    /**
     * This descriptor as a TCP listener, if it is one: an IPv4 or IPv6 TCP socket that
     * {@code listen(2)} was called on ({@code SO_ACCEPTCONN}). Ownership moves to the result. One thread at a time.
     * @return the listener, owning the fd
     * @throws IllegalArgumentException if the descriptor is something else (then it stays here)
     * @throws IllegalStateException if closed or detached
     * @throws NativeIOException if a check or a flag change fails
     */
    public TcpListener asTcpListener() throws NativeIOException {
        Kind k = identify(Expect.TCP, true, "a TCP listener");
        return take(new TcpListener(k.fd, k.domain));
    }

    /**
     * This descriptor as a UDP socket, if it is one: an IPv4 or IPv6 {@code SOCK_DGRAM} UDP
     * socket, bound or connected or neither. Ownership moves to the result. One thread at a time.
     * @return the socket, owning the fd
     * @throws IllegalArgumentException if the descriptor is something else (then it stays here)
     * @throws IllegalStateException if closed or detached
     * @throws NativeIOException if a check or a flag change fails
     */
    public UdpSocket asUdpSocket() throws NativeIOException {
        Kind k = identify(Expect.UDP, false, "a UDP socket");
        return take(new UdpSocket(k.fd, k.domain));
    }

    /**
     * This descriptor as a Unix domain stream, if it is one: {@code AF_UNIX}, {@code SOCK_STREAM},
     * not listening. Ownership moves to the result. One thread at a time.
     * @return the stream, owning the fd
     * @throws IllegalArgumentException if the descriptor is something else (then it stays here)
     * @throws IllegalStateException if closed or detached
     * @throws NativeIOException if a check or a flag change fails
     */
    public UnixStream asUnixStream() throws NativeIOException {
        Kind k = identify(Expect.UNIX_STREAM, false, "a Unix stream");
        return take(new UnixStream(k.fd, k.connected));
    }

    /**
     * This descriptor as a Unix domain listener, if it is one: {@code AF_UNIX},
     * {@code SOCK_STREAM}, listening. Ownership moves to the result; closing it does not remove
     * the socket's file, which whoever bound it owns.
     * @return the listener, owning the fd
     * @throws IllegalArgumentException if the descriptor is something else (then it stays here)
     * @throws IllegalStateException if closed or detached
     * @throws NativeIOException if a check or a flag change fails
     */
    public UnixListener asUnixListener() throws NativeIOException {
        Kind k = identify(Expect.UNIX_STREAM, true, "a Unix listener");
        return take(new UnixListener(k.fd));
    }

    /**
     * This descriptor as a Unix domain datagram socket, if it is one: {@code AF_UNIX},
     * {@code SOCK_DGRAM}. Ownership moves to the result; closing it does not remove a bound
     * socket's file.
     * @return the socket, owning the fd
     * @throws IllegalArgumentException if the descriptor is something else (then it stays here)
     * @throws IllegalStateException if closed or detached
     * @throws NativeIOException if a check or a flag change fails
     */
    public UnixDatagram asUnixDatagram() throws NativeIOException {
        Kind k = identify(Expect.UNIX_DATAGRAM, false, "a Unix datagram socket");
        return take(new UnixDatagram(k.fd));
    }

    /** What a conversion accepts: the domains, the type, the protocol (0: any). */
    private enum Expect {
        TCP(true, Linux.SOCK_STREAM(), Linux.IPPROTO_TCP()),
        UDP(true, Linux.SOCK_DGRAM(), Linux.IPPROTO_UDP()),
        UNIX_STREAM(false, Linux.SOCK_STREAM(), 0),
        UNIX_DATAGRAM(false, Linux.SOCK_DGRAM(), 0);

        final boolean inet;
        final int type;
        final int protocol;

        Expect(boolean inet, int type, int protocol) {
            this.inet = inet;
            this.type = type;
            this.protocol = protocol;
        }
    }

    /** What {@link #identify} found: the fd (still owned here), its domain, whether it has a peer. */
    private record Kind(int fd, int domain, boolean connected) {}

    /**
     * Checks the socket against {@code expect} and {@code listening}, then makes it non-blocking
     * and close-on-exec. Nothing changes hands here; {@link #take} does that.
     */
    private Kind identify(Expect expect, boolean listening, String what) throws NativeIOException {
        int fd = acquire();
        try {
            int domain = intOption(fd, Linux.SO_DOMAIN(), "SO_DOMAIN", what);
            int type = intOption(fd, Linux.SO_TYPE(), "SO_TYPE", what);
            int protocol = intOption(fd, Linux.SO_PROTOCOL(), "SO_PROTOCOL", what);
            boolean accepting = intOption(fd, Linux.SO_ACCEPTCONN(), "SO_ACCEPTCONN", what) != 0;
            boolean domainOk = expect.inet ? domain == AF_INET || domain == AF_INET6 : domain == AF_UNIX;
            if (!domainOk || type != expect.type || (expect.protocol != 0 && protocol != expect.protocol)
                    || accepting != listening) {
                throw new IllegalArgumentException("fd " + fd + " is " + describe(domain, type, protocol, accepting)
                        + ", not " + what);
            }
            int fl = Errors.check("fcntl(F_GETFL)", Sys.fcntl(fd, Linux.F_GETFL(), 0));
            if ((fl & Linux.O_NONBLOCK()) == 0) {
                Errors.check("fcntl(F_SETFL)", Sys.fcntl(fd, Linux.F_SETFL(), fl | Linux.O_NONBLOCK()));
            }
            int fdFlags = Errors.check("fcntl(F_GETFD)", Sys.fcntl(fd, Linux.F_GETFD(), 0));
            if ((fdFlags & Linux.FD_CLOEXEC()) == 0) {
                Errors.check("fcntl(F_SETFD)", Sys.fcntl(fd, Linux.F_SETFD(), fdFlags | Linux.FD_CLOEXEC()));
            }
            boolean connected = false;
            if (expect.type == Linux.SOCK_STREAM() && !listening) {
                NativeScratch s = NativeScratch.current();
                s.setInt(NativeScratch.ADDRESS_LENGTH, AddressCodec.STORAGE_SIZE);
                connected = Sys.getpeername(fd, s.address, s.addressLength) == 0;
            }
            return new Kind(fd, domain, connected);
        } finally {
            release();
        }
    }

    /** Detaches this object and hands the fd to {@code socket}, which may linger like any received socket. */
    private <S extends SocketDescriptor> S take(S socket) {
        detach();
        socket.mayLinger = true;
        return socket;
    }

    /** getsockopt(SOL_SOCKET, name) as an int; ENOTSOCK says the descriptor is no socket at all. */
    private static int intOption(int fd, int name, String optionName, String what) throws NativeIOException {
        NativeScratch s = NativeScratch.current();
        s.setInt(NativeScratch.INTS, Integer.BYTES);
        s.setInt(NativeScratch.OPTION, 0);
        int r = Sys.getsockopt(fd, SOL_SOCKET, name, s.option, s.ints);
        if (r == -ENOTSOCK) throw new IllegalArgumentException("fd " + fd + " is not a socket, not " + what);
        if (r < 0) throw Errors.exception("getsockopt(" + optionName + ")", r);
        return s.getInt(NativeScratch.OPTION);
    }

    /** A socket's kind in words, as {@code "an AF_UNIX SOCK_DGRAM socket"}. */
    private static String describe(int domain, int type, int protocol, boolean listening) {
        String d = domain == AF_INET ? "AF_INET" : domain == AF_INET6 ? "AF_INET6" : domain == AF_UNIX ? "AF_UNIX"
                : "domain " + domain;
        String t = type == Linux.SOCK_STREAM() ? "SOCK_STREAM" : type == Linux.SOCK_DGRAM() ? "SOCK_DGRAM"
                : "type " + type;
        String p = domain == AF_UNIX ? "" : protocol == Linux.IPPROTO_TCP() ? " TCP" : protocol == Linux.IPPROTO_UDP()
                ? " UDP" : " protocol " + protocol;
        return "a" + (d.startsWith("AF_") ? "n " : " ") + d + " " + t + p + (listening ? " listening" : "") + " socket";
    }
}
