package io.ffmepoll.bench.servers;

import io.ffmepoll.bench.common.Args;
import io.ffmepoll.blocking.BlockingListener;
import io.ffmepoll.blocking.BlockingStream;
import io.ffmepoll.blocking.Poller;
import io.ffmepoll.socket.Option;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * One virtual thread per connection, as {@link VThreadServer}, on ffm-epoll's blocking sockets
 * ({@code io.ffmepoll.blocking}) instead of the JDK's: the same connection loop, other sockets.
 * {@code --loops K} sets the virtual-thread scheduler's parallelism. On SIGTERM it prints the
 * poller's counters to stderr: {@code epoll_ctl} calls (one per socket), waits, events and how
 * often a thread blocked.
 */
public final class FfmVThreadServer {

    public static void main(String[] argv) throws IOException {
        Args args = new Args(argv);
        boolean http = ServerMain.httpProto(args);
        ServerMain.virtualThreadParallelism(args);
        BlockingListener server = BlockingListener.bind(
                new InetSocketAddress(ServerMain.host(args), (int) args.number("port", 0)), 4096);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> System.err.println(Poller.counters())));
        ServerMain.acceptForever(((InetSocketAddress) server.localAddress()).getPort(), server::accept, s -> serve(s, http));
    }

    private static void serve(BlockingStream s, boolean http) {
        try (s) {
            s.socket().setOption(Option.TCP_NODELAY, true);
            VThreadServer.serve(s.inputStream(), s.outputStream(), http);
        } catch (IOException e) {
            // Peer reset or went away: the connection ends, the server goes on.
        }
    }
}
