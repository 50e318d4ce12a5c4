package io.ffmepoll.bench.servers;

/**
 * {@code bench serve --impl netty-uring}: the {@link NettyServer} echo and HTTP servers on Netty
 * 4.2's io_uring transport instead of its epoll one, the same handlers and options, so the two
 * differ only in how the kernel is asked for I/O. Where io_uring is not offered (an old kernel,
 * {@code sysctl kernel.io_uring_disabled}, a seccomp filter refusing {@code io_uring_setup}) it
 * prints why in one line and exits with {@link NettyServer#UNAVAILABLE}.
 */
public final class NettyUringServer {
    private NettyUringServer() {
    }

    public static void main(String[] argv) throws Exception {
        NettyServer.serve(argv, NettyServer.Transport.IO_URING);
    }
}
