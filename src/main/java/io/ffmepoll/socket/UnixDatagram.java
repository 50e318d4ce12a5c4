package io.ffmepoll.socket;

import io.ffmepoll.epoll.Descriptor;
import io.ffmepoll.epoll.NativeIOException;
import io.ffmepoll.internal.sys.NativeScratch;

import java.lang.foreign.MemorySegment;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.util.List;

/**
 * A non-blocking Unix domain datagram socket: reliable and ordered on Linux, with message
 * boundaries, and able to carry file descriptors.
 * <p>A socket bound to a {@link UnixDomainSocketAddress} creates a file there and
 * <b>removes it on close</b> if it is still the file this socket created (as
 * {@link UnixListener} does); an {@link AbstractName} leaves nothing behind. A sender that
 * wants replies must be bound itself: an unbound sender's address decodes as
 * {@code UnixDomainSocketAddress.of("")}.
 * {@snippet :
 * try (UnixDatagram server = UnixDatagram.bind(AbstractName.of("stats"));
 *      UnixDatagram client = UnixDatagram.open()) {
 *     client.send(message, AbstractName.of("stats"));
 *     int n = server.receive(buffer);     // exactly one message, or WOULD_BLOCK
 * }
 * }
 */
public final class UnixDatagram extends DatagramSocket {

    private volatile BoundPath bound;

    UnixDatagram(int fd) {
        super(fd, AddressCodec.AF_UNIX);
    }

    /**
     * Opens an unbound socket.
     * @param options set after opening, in order
     * @return the socket, which can send to any bound Unix datagram socket
     * @throws NativeIOException if the socket cannot be created or an option is refused
     */
    public static UnixDatagram open(Option.Value<?>... options) throws NativeIOException {
        return setUp(new UnixDatagram(open(AddressCodec.AF_UNIX, SOCK_DGRAM)), s -> s.apply(options));
    }

    /**
     * Opens a socket and binds it to a path (creating the file) or an abstract name.
     * @param local a {@link UnixDomainSocketAddress} or an {@link AbstractName}
     * @param options set before binding, in order
     * @return the bound socket; a path it created is removed on close
     * @throws NativeIOException EADDRINUSE if taken
     */
    public static UnixDatagram bind(SocketAddress local, Option.Value<?>... options) throws NativeIOException {
        if (AddressCodec.family(local) != AddressCodec.AF_UNIX) {
            throw new IllegalArgumentException("not a Unix domain address: " + local);
        }
        return setUp(open(options), s -> {
            s.bindTo(local);
            s.bound = BoundPath.after(local);
        });
    }

    /**
     * A connected pair ({@code socketpair(SOCK_DGRAM)}); element 0 talks to element 1.
     * @return the two connected sockets
     * @throws NativeIOException EMFILE or ENFILE when out of descriptors
     */
    public static UnixDatagram[] pair() throws NativeIOException {
        NativeScratch s = socketPair(SOCK_DGRAM);
        int a = s.getInt(NativeScratch.INTS);
        int b = s.getInt(NativeScratch.INTS + 4);
        return new UnixDatagram[] {new UnixDatagram(a), new UnixDatagram(b)};
    }

    /**
     * Sends one datagram to the connected peer with {@code fds} attached ({@code SCM_RIGHTS}).
     * @param data the datagram
     * @param fds the descriptors to pass; they stay open and owned by the caller
     * @return bytes sent or {@link #WOULD_BLOCK}
     * @throws NativeIOException any error but {@code EAGAIN}
     */
    public int sendDescriptors(MemorySegment data, Descriptor... fds) throws NativeIOException {
        return sendRights(data, fds, false);
    }

    /**
     * Receives one datagram and the descriptors attached to it (close-on-exec, appended to
     * {@code fds}, the caller's to close).
     * @param dst where the datagram goes
     * @param fds where received descriptors are appended
     * @return the datagram's length or {@link #WOULD_BLOCK}
     * @throws NativeIOException any error but {@code EAGAIN}
     */
    public int receiveDescriptors(MemorySegment dst, List<? super ReceivedDescriptor> fds) throws NativeIOException {
        return receiveRights(dst, fds, false);
    }

    /**
     * The peer process's credentials ({@code SO_PEERCRED}; for a connected pair or socket).
     * @return the peer's process, user and group ids
     * @throws NativeIOException ENOTCONN for a socket with no peer
     */
    public PeerCredentials peerCredentials() throws NativeIOException {
        return peerCredentials0();
    }

    /** Removes the socket file this socket created, if it is still there. */
    @Override
    protected void afterClose() {
        BoundPath b = bound;
        if (b != null) b.unlink();
    }
}
