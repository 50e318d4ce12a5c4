package io.ffmepoll.bench.ffm;

import io.ffmepoll.bench.common.ServerTls;
import io.ffmepoll.reactor.Listener;
import io.ffmepoll.reactor.Reactor;
import io.ffmepoll.tls.Tls;
import io.ffmepoll.tls.TlsConnection;
import io.ffmepoll.tls.TlsHandler;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import javax.net.ssl.SSLContext;

/**
 * TLS echo through the library on both ends, in one process: a server reactor and a client
 * reactor of one loop each, {@code --conns} connections with one {@code --size} message in
 * flight each. Measures messages per second and CPU microseconds per message of the server
 * loop thread and of the client loop thread (thread CPU time), for the engine's buffers direct
 * and on the heap, in alternating rounds.
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp ... io.ffmepoll.bench.ffm.TlsEchoMeasure [--conns 50] [--size 4096] [--seconds 3] [--rounds 2]
 * </pre>
 */
public final class TlsEchoMeasure {

    private TlsEchoMeasure() {}

    public static void main(String[] args) throws Exception {
        int conns = 50, size = 4096, rounds = 2;
        double seconds = 3;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--conns" -> conns = Integer.parseInt(args[i + 1]);
                case "--size" -> size = Integer.parseInt(args[i + 1]);
                case "--seconds" -> seconds = Double.parseDouble(args[i + 1]);
                case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        ServerTls material = ServerTls.selfSigned();
        SSLContext serverCtx = material.context();
        SSLContext clientCtx = ServerTls.trustingAnything();
        System.out.printf("%-7s %10s %14s %14s%n", "buffers", "msg/s", "server us/msg", "client us/msg");
        for (int r = 0; r < rounds; r++) {
            for (boolean direct : new boolean[] {true, false}) {
                run(direct, serverCtx, clientCtx, conns, size, seconds);
            }
        }
    }

    private static void run(boolean direct, SSLContext serverCtx, SSLContext clientCtx, int conns, int size, double seconds)
            throws Exception {
        Tls server = Tls.server(serverCtx).directBuffers(direct).build();
        Tls client = Tls.client(clientCtx).directBuffers(direct).endpointIdentification(null).build();
        LongAdder messages = new LongAdder();
        MemorySegment message = Arena.global().allocate(size).fill((byte) 'x');
        try (Reactor s = Reactor.builder().loops(1).threadName("measure-server").build();
             Reactor c = Reactor.builder().loops(1).threadName("measure-client").build();
             Listener l = s.listen(new InetSocketAddress("127.0.0.1", 0), server.handlers(FfmServer.EchoHandler::new))) {
            List<TlsConnection> open = new ArrayList<>();
            for (int i = 0; i < conns; i++) {
                open.add(client.connect(c, new InetSocketAddress("127.0.0.1", l.port()), "localhost", new TlsHandler() {
                    long got;

                    public void onOpen(TlsConnection t) {
                        t.write(message);
                    }

                    public void onRead(TlsConnection t, MemorySegment data) {
                        got += data.byteSize();
                        while (got >= size) {
                            got -= size;
                            messages.increment();
                            t.write(message);
                        }
                    }
                }).join());
            }
            Thread.sleep(1000);   // warm-up
            ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            long sv0 = cpu(mx, "measure-server"), cl0 = cpu(mx, "measure-client"), m0 = messages.sum(), t0 = System.nanoTime();
            Thread.sleep((long) (seconds * 1000));
            long sv1 = cpu(mx, "measure-server"), cl1 = cpu(mx, "measure-client"), m1 = messages.sum(), t1 = System.nanoTime();
            double n = m1 - m0;
            System.out.printf("%-7s %,10.0f %14.2f %14.2f%n", direct ? "direct" : "heap", n * 1e9 / (t1 - t0),
                    (sv1 - sv0) / 1e3 / n, (cl1 - cl0) / 1e3 / n);
        }
    }

    /** CPU nanoseconds of the threads whose names start with {@code prefix}. */
    private static long cpu(ThreadMXBean mx, String prefix) {
        long sum = 0;
        for (ThreadInfo t : mx.getThreadInfo(mx.getAllThreadIds())) {
            if (t != null && t.getThreadName().startsWith(prefix)) sum += Math.max(0, mx.getThreadCpuTime(t.getThreadId()));
        }
        return sum;
    }
}
