package io.ffmepoll.epoll;

import io.ffmepoll.reactor.Reactor;
import io.ffmepoll.socket.DatagramBatch;
import io.ffmepoll.socket.Option;
import io.ffmepoll.socket.TcpListener;
import io.ffmepoll.socket.UdpSocket;
import io.ffmepoll.socket.UnixStream;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Tries, in a JVM where native access may be denied, each way a program can first touch the
 * library, and prints one line per way: {@code name: ok} or {@code name: <exception class> |
 * <every message of its cause chain>}.
 */
public final class NativeAccessMain {

    interface Use {
        Object run() throws Exception;
    }

    public static void main(String[] args) {
        Map<String, Use> uses = new LinkedHashMap<>();
        uses.put("Epoll.open", Epoll::open);
        uses.put("EventFd.open", EventFd::open);
        uses.put("TimerFd.open", TimerFd::open);
        uses.put("Pipe.open", Pipe::open);
        uses.put("EventArray.allocate", () -> EventArray.allocate(1));
        uses.put("Interest.IN", () -> Interest.IN);
        uses.put("Errors.name", () -> Errors.name(Errors.EAGAIN + 1));
        uses.put("Option.TCP_NODELAY", () -> Option.TCP_NODELAY);
        uses.put("DatagramBatch.allocate", () -> DatagramBatch.allocate(1, 1));
        uses.put("TcpListener.bind", () -> TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1));
        uses.put("UdpSocket.open", () -> UdpSocket.open(StandardProtocolFamily.INET));
        uses.put("UnixStream.pair", UnixStream::pair);
        uses.put("Reactor.build", () -> Reactor.builder().loops(1).build());
        // The order above is the order of first use: put the entry to test first as args[0].
        if (args.length > 0) {
            Use first = uses.remove(args[0]);
            Map<String, Use> reordered = new LinkedHashMap<>();
            reordered.put(args[0], first);
            reordered.putAll(uses);
            uses = reordered;
        }
        for (Map.Entry<String, Use> u : uses.entrySet()) {
            try {
                Object o = u.getValue().run();
                if (o instanceof AutoCloseable c) c.close();
                else if (o instanceof AutoCloseable[] cs) for (AutoCloseable c : cs) c.close();
                System.out.println(u.getKey() + ": ok");
            } catch (Throwable t) {
                StringBuilder line = new StringBuilder(u.getKey()).append(": ").append(t.getClass().getName());
                for (Throwable c = t; c != null; c = c.getCause()) line.append(" | ").append(c.getMessage());
                System.out.println(line);
            }
        }
    }
}
