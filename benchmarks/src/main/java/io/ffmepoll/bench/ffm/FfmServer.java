package io.ffmepoll.bench.ffm;

import io.ffmepoll.reactor.Connection;
import io.ffmepoll.reactor.Handler;
import io.ffmepoll.reactor.Listener;
import io.ffmepoll.reactor.LoopCounters;
import io.ffmepoll.reactor.Reactor;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The ffm-epoll example servers, one per protocol, on the edge-triggered reactor.
 * <pre>
 * FfmServer --proto echo|http|unix-echo|udp-echo --port N [--loops K] [--path P]
 * </pre>
 * Prints {@code listening <port|path>} once connections are accepted; on SIGTERM stops
 * accepting, flushes, closes every descriptor and prints each loop's counters to stderr.
 */
public final class FfmServer {

    private FfmServer() {}

    /** Parses the arguments, starts the server and returns; the loop threads keep running. */
    public static void main(String[] args) throws Exception {
        String proto = null;
        int port = 0;
        int loops = Runtime.getRuntime().availableProcessors();
        String path = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "--proto" -> { proto = need(a, v); i++; }
                case "--port" -> { port = Integer.parseInt(need(a, v)); i++; }
                case "--loops" -> { loops = Integer.parseInt(need(a, v)); i++; }
                case "--path" -> { path = need(a, v); i++; }
                default -> usage("unknown argument: " + a);
            }
        }
        if (proto == null) usage("--proto is required");

        Reactor reactor = Reactor.builder().loops(loops).threadName("ffm-" + proto).build();
        Listener listener;
        String where;
        try {
            switch (proto) {
                case "echo" -> {
                    listener = reactor.listen(new InetSocketAddress(port), EchoHandler::new);
                    where = Integer.toString(listener.port());
                }
                case "http" -> {
                    listener = reactor.listen(new InetSocketAddress(port), HttpHandler::new);
                    where = Integer.toString(listener.port());
                }
                case "unix-echo" -> {
                    Path p = Path.of(path != null ? path : "/tmp/ffm-epoll-echo-" + port + ".sock");
                    Files.deleteIfExists(p);   // a stale socket file from an earlier run
                    listener = reactor.listen(UnixDomainSocketAddress.of(p), EchoHandler::new);
                    where = p.toString();
                }
                case "udp-echo" -> {
                    listener = reactor.bindUdp(new InetSocketAddress(port),
                            () -> (endpoint, data, sender) -> endpoint.send(data, sender));
                    where = Integer.toString(listener.port());
                }
                default -> {
                    usage("unknown protocol: " + proto);
                    return;
                }
            }
        } catch (IOException | RuntimeException e) {
            reactor.shutdown(Duration.ZERO);
            throw e;
        }

        Listener l = listener;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            l.close();
            reactor.shutdown(Duration.ofSeconds(5));
            try {
                reactor.awaitTermination(Duration.ofSeconds(10));
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
            for (LoopCounters c : reactor.counters()) System.err.println(c);
            System.err.flush();
        }, "ffm-shutdown"));
        System.out.println("listening " + where);
        System.out.flush();
        // The loop threads keep the JVM alive until SIGTERM runs the hook.
    }

    private static String need(String flag, String value) {
        if (value == null) usage(flag + " needs a value");
        return value;
    }

    private static void usage(String problem) {
        System.err.println(problem);
        System.err.println("usage: FfmServer --proto echo|http|unix-echo|udp-echo --port N [--loops K] [--path P]");
        System.exit(2);
    }

    /** Echo: every byte back, in order; stops reading while the peer does not keep up. */
    static final class EchoHandler implements Handler {
        @Override
        public void onRead(Connection c, MemorySegment data) {
            if (!c.write(data)) c.pauseReading();
        }

        @Override
        public void onWritabilityChanged(Connection c, boolean writable) {
            if (writable) c.resumeReading();
        }
    }
}
