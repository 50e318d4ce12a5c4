/**
 * Non-blocking sockets owned through the same bindings as epoll: TCP ({@link
 * io.ffmepoll.socket.TcpListener}, {@link io.ffmepoll.socket.TcpStream}), UDP ({@link
 * io.ffmepoll.socket.UdpSocket}) and Unix domain ({@link io.ffmepoll.socket.UnixListener},
 * {@link io.ffmepoll.socket.UnixStream}, {@link io.ffmepoll.socket.UnixDatagram}).
 * <p>Every socket is a {@link io.ffmepoll.epoll.Descriptor}: created {@code SOCK_NONBLOCK |
 * SOCK_CLOEXEC}, closed exactly once, watchable by an {@link io.ffmepoll.epoll.Epoll}, and
 * {@link IllegalStateException} after close. I/O results are counts or the constants
 * {@link io.ffmepoll.epoll.Descriptor#EOF} and {@link io.ffmepoll.epoll.Descriptor#WOULD_BLOCK};
 * other failures are {@link io.ffmepoll.epoll.NativeIOException}s carrying the errno.
 * <p>Layers: the public classes here and {@code AddressCodec} (the one sockaddr
 * encoder/decoder) inside; byte reads and writes through the one implementation in
 * {@link io.ffmepoll.epoll.Descriptor}, shared with pipes; {@code io.ffmepoll.internal.sys}'s
 * {@code IoScratch} (pooled staging, iovecs, msghdr, control buffer) and {@code Control} (CMSG
 * arithmetic); system calls through {@code io.ffmepoll.internal.sys.Sys}.
 * {@snippet :
 * try (TcpListener listener = TcpListener.bind(new InetSocketAddress("127.0.0.1", 0), 128);
 *      Epoll epoll = Epoll.open(); EventArray events = EventArray.allocate(64)) {
 *     epoll.add(listener, Interest.of(Interest.IN, Interest.ET), 0);
 *     TcpStream client = TcpStream.connect(listener.localAddress());
 *     // wait, accept() until null, read() until WOULD_BLOCK ...
 * }
 * }
 */
package io.ffmepoll.socket;
