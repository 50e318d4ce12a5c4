package io.ffmepoll.bench.ffm;

import io.ffmepoll.reactor.Connection;
import io.ffmepoll.reactor.Handler;
import io.ffmepoll.reactor.Listener;
import io.ffmepoll.reactor.LoopCounters;
import io.ffmepoll.reactor.Reactor;
import io.ffmepoll.bench.common.ServerTls;
import io.ffmepoll.tls.Tls;
import io.ffmepoll.tls.TlsConnection;
import io.ffmepoll.tls.TlsHandler;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * The ffm-epoll example servers, one per protocol, on the edge-triggered reactor.
 * <pre>
 * FfmServer --proto echo|http|unix-echo|udp-echo --port N [--loops K] [--path P]
 *           [--counters-every SECONDS] [--leak fd|heap|native] [--tls [--cert PEM --key PEM]]
 * </pre>
 * Prints {@code listening <port|path>} once connections are accepted; on SIGTERM stops
 * accepting, flushes, closes every descriptor and prints each loop's counters to stderr.
 * <p>{@code --counters-every S} also prints the counters to stderr every S seconds, from one
 * daemon thread, so a soak run can follow them from outside. {@code --leak} is for testing
 * that soak only: it deliberately leaks a descriptor, heap or native memory per accepted
 * connection (see {@link InjectedLeak}).
 * <p>{@code --tls} serves {@code echo} and {@code http} over TLS 1.3 ({@code http} with ALPN
 * {@code http/1.1}), with the certificate chain and PKCS#8 key of {@code --cert}/{@code --key},
 * or a self-signed certificate for {@code localhost} made at start.
 */
public final class FfmServer {

    private FfmServer() {}

    /** Parses the arguments, starts the server and returns; the loop threads keep running. */
    public static void main(String[] args) throws Exception {
        String proto = null;
        int port = 0;
        int loops = Runtime.getRuntime().availableProcessors();
        String path = null;
        double countersEvery = 0;
        String leak = null;
        boolean tls = false;
        String cert = null;
        String key = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "--proto" -> { proto = need(a, v); i++; }
                case "--port" -> { port = Integer.parseInt(need(a, v)); i++; }
                case "--loops" -> { loops = Integer.parseInt(need(a, v)); i++; }
                case "--path" -> { path = need(a, v); i++; }
                case "--counters-every" -> { countersEvery = Double.parseDouble(need(a, v)); i++; }
                case "--leak" -> { leak = need(a, v); i++; }
                case "--tls" -> tls = true;
                case "--cert" -> { cert = need(a, v); i++; }
                case "--key" -> { key = need(a, v); i++; }
                case "--work" -> { io.ffmepoll.bench.common.Work.configure(need(a, v)); i++; }
                default -> usage("unknown argument: " + a);
            }
        }
        if (proto == null) usage("--proto is required");
        if (leak != null && !InjectedLeak.KINDS.contains(leak)) usage("--leak " + InjectedLeak.KINDS + ", not " + leak);
        if ((cert != null || key != null) && !tls) usage("--cert and --key need --tls");
        if (tls && !proto.equals("echo") && !proto.equals("http")) usage("--tls serves echo and http, not " + proto);
        Tls secure = null;
        if (tls) {
            ServerTls material = ServerTls.load(cert, key);
            secure = Tls.server(material.context()).applicationProtocols(proto.equals("http") ? new String[] {"http/1.1"} : new String[0])
                    .build();
        }
        Supplier<Handler> echo = InjectedLeak.wrap(leak, secure != null ? secure.handlers(EchoHandler::new) : EchoHandler::new);
        Supplier<Handler> http = InjectedLeak.wrap(leak, secure != null ? secure.handlers(HttpHandler::new) : HttpHandler::new);

        Reactor reactor = Reactor.builder().loops(loops).threadName("ffm-" + proto).build();
        Listener listener;
        String where;
        try {
            switch (proto) {
                case "echo" -> {
                    listener = reactor.listen(new InetSocketAddress(port), echo);
                    where = Integer.toString(listener.port());
                }
                case "http" -> {
                    listener = reactor.listen(new InetSocketAddress(port), http);
                    where = Integer.toString(listener.port());
                }
                case "unix-echo" -> {
                    Path p = Path.of(path != null ? path : "/tmp/ffm-epoll-echo-" + port + ".sock");
                    Files.deleteIfExists(p);   // a stale socket file from an earlier run
                    listener = reactor.listen(UnixDomainSocketAddress.of(p), echo);
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
        if (countersEvery > 0) printCountersEvery(reactor, countersEvery);
        System.out.println("listening " + where);
        System.out.flush();
        // The loop threads keep the JVM alive until SIGTERM runs the hook.
    }

    /**
     * One daemon platform thread (a fixed +1 in the thread count, unlike a virtual thread's
     * carrier) prints every loop's counters to stderr every {@code seconds}.
     */
    private static void printCountersEvery(Reactor reactor, double seconds) {
        long nanos = (long) (seconds * 1e9);
        Thread t = new Thread(() -> {
            while (true) {
                LockSupport.parkNanos(nanos);
                StringBuilder b = new StringBuilder();
                for (LoopCounters c : reactor.counters()) b.append(c).append('\n');
                System.err.print(b);
                System.err.flush();
            }
        }, "ffm-counters");
        t.setDaemon(true);
        t.start();
    }

    private static String need(String flag, String value) {
        if (value == null) usage(flag + " needs a value");
        return value;
    }

    private static void usage(String problem) {
        System.err.println(problem);
        System.err.println("usage: FfmServer --proto echo|http|unix-echo|udp-echo --port N [--loops K] [--path P]"
                + " [--counters-every SECONDS] [--leak fd|heap|native] [--tls [--cert PEM --key PEM]]"
                + " [--work none|cpu:US|sleep:US]");
        System.exit(2);
    }

    /**
     * Echo: every byte back, in order; stops reading while the peer does not keep up. The same
     * handler serves plain TCP and, as a {@link TlsHandler}, the plaintext side of TLS.
     */
    static final class EchoHandler implements Handler, TlsHandler {
        @Override
        public void onRead(Connection c, MemorySegment data) {
            io.ffmepoll.bench.common.Work.perBytes(data.byteSize());
            if (!c.write(data)) c.pauseReading();
        }

        @Override
        public void onWritabilityChanged(Connection c, boolean writable) {
            if (writable) c.resumeReading();
        }

        @Override
        public void onRead(TlsConnection c, MemorySegment data) {
            if (!c.write(data)) c.pauseReading();
        }

        @Override
        public void onWritabilityChanged(TlsConnection c, boolean writable) {
            if (writable) c.resumeReading();
        }
    }
}
