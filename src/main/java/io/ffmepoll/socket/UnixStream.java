package io.ffmepoll.socket;

import io.ffmepoll.epoll.Descriptor;
import io.ffmepoll.epoll.NativeIOException;
import io.ffmepoll.internal.sys.NativeScratch;

import java.lang.foreign.MemorySegment;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.util.List;

/**
 * A non-blocking Unix domain stream connection: to a filesystem path
 * ({@link UnixDomainSocketAddress}) or an {@link AbstractName}, or one end of a
 * {@linkplain #pair() socket pair}. Besides bytes it carries file descriptors
 * ({@code SCM_RIGHTS}) and tells who the peer is ({@code SO_PEERCRED}).
 * <p>A Unix connect completes at once or fails at once; when the listener's backlog is full
 * ({@code EAGAIN}) the stream is returned unconnected and {@link #finishConnect()} retries.
 * {@snippet :
 * try (UnixStream s = UnixStream.connect(UnixDomainSocketAddress.of("/run/app.sock"))) {
 *     if (s.finishConnect()) {
 *         s.sendDescriptors(header, pipe.sink());     // hand our pipe end to the server
 *         PeerCredentials server = s.peerCredentials();
 *     }
 * }
 * }
 */
public final class UnixStream extends StreamSocket {

    UnixStream(int fd, boolean connected) {
        super(fd, AddressCodec.AF_UNIX, connected);
    }

    /**
     * Connects to a listening Unix socket.
     * @param remote a {@link UnixDomainSocketAddress} or an {@link AbstractName}
     * @param options set before connecting, in order
     * @return the connected socket
     * @throws NativeIOException ENOENT (no such file), ECONNREFUSED (nobody listening), EACCES
     * @throws IllegalArgumentException for another address type or a path over 107 bytes
     */
    public static UnixStream connect(SocketAddress remote, Option.Value<?>... options) throws NativeIOException {
        if (AddressCodec.family(remote) != AddressCodec.AF_UNIX) {
            throw new IllegalArgumentException("not a Unix domain address: " + remote);
        }
        return setUp(new UnixStream(open(AddressCodec.AF_UNIX, SOCK_STREAM), false), s -> {
            s.apply(options);
            s.startConnect(remote);
        });
    }

    /**
     * A connected pair of streams ({@code socketpair}), both ends non-blocking and close-on-exec.
     * @return two streams; element 0 talks to element 1
     * @throws NativeIOException EMFILE or ENFILE when out of descriptors
     */
    public static UnixStream[] pair() throws NativeIOException {
        NativeScratch s = socketPair(SOCK_STREAM);
        int a = s.getInt(NativeScratch.INTS);
        int b = s.getInt(NativeScratch.INTS + 4);
        return new UnixStream[] {new UnixStream(a, true), new UnixStream(b, true)};
    }

    /**
     * The peer process's credentials as recorded at connect time ({@code SO_PEERCRED}).
     * @return the peer's process, user and group ids
     * @throws NativeIOException ENOTCONN if not connected
     */
    public PeerCredentials peerCredentials() throws NativeIOException {
        return peerCredentials0();
    }

    /**
     * Writes {@code data} with {@code fds} attached ({@code SCM_RIGHTS}). The receiver gets new
     * descriptors for the same open files; ours stay open and owned by the caller. The
     * descriptors travel with the first byte of {@code data}, so it must not be empty.
     * @param data the bytes to send, at least one
     * @param fds the descriptors to pass; they stay open and owned by the caller
     * @return bytes queued (possibly fewer than {@code data.byteSize()}; the descriptors went with
     *         them) or {@link #WOULD_BLOCK} (nothing was sent, descriptors included)
     * @throws IllegalArgumentException if {@code data} is empty or more than 253 descriptors
     * @throws IllegalStateException if this socket or one of {@code fds} is closed; do not close a
     *         descriptor that is not a socket of this package while it is being sent
     * @throws NativeIOException EPIPE, ECONNRESET and other errors but {@code EAGAIN}
     */
    public int sendDescriptors(MemorySegment data, Descriptor... fds) throws NativeIOException {
        return sendRights(data, fds, true);
    }

    /**
     * Reads into {@code dst} and collects descriptors that arrived with the bytes
     * ({@code recvmsg} with {@code MSG_CMSG_CLOEXEC}). Each received descriptor is appended to
     * {@code fds} and is the caller's to close. A plain {@link #read(MemorySegment)} of bytes that
     * carried descriptors makes the kernel close them.
     * @param dst where the bytes go
     * @param fds where received descriptors are appended
     * @return bytes read, {@link #EOF}, or {@link #WOULD_BLOCK}
     * @throws NativeIOException any error but {@code EAGAIN}
     */
    public int receiveDescriptors(MemorySegment dst, List<? super ReceivedDescriptor> fds) throws NativeIOException {
        return receiveRights(dst, fds, true);
    }

    /**
     * The local address: a {@link UnixDomainSocketAddress} ({@code of("")} when unnamed, as a
     * connecting socket usually is) or an {@link AbstractName}.
     */
    @Override
    public SocketAddress localAddress() throws NativeIOException {
        return super.localAddress();
    }
}
