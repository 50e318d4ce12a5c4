package io.ffmepoll.reactor;

import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;

/**
 * The README's reactor example, kept here so that it compiles and runs ({@link ReadmeServerTest}).
 * The port comes from {@code args[0]} (the README's 7000 by default).
 */
public final class ReadmeServerMain {

    private ReadmeServerMain() {}

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 7000;
        // ---- README begins
        Reactor reactor = Reactor.builder().loops(2).build();
        // SIGTERM or Ctrl-C: stop accepting, flush and close every connection, then exit.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            reactor.close();
            System.out.println("stopped");
        }));
        Listener listener = reactor.listen(new InetSocketAddress("127.0.0.1", port), () -> new Handler() {
            @Override
            public void onRead(Connection c, MemorySegment data) {
                if (!c.write(data)) c.pauseReading();           // echo, with backpressure
            }

            @Override
            public void onWritabilityChanged(Connection c, boolean writable) {
                if (writable) c.resumeReading();
            }
        });
        System.out.println("listening " + listener.port());     // the loops keep the JVM alive
        // ---- README ends
    }
}
