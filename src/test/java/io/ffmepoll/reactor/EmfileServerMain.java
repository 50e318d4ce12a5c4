package io.ffmepoll.reactor;

import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * An echo server for {@link EmfileTest}, run in a child JVM under a low descriptor limit.
 * Prints {@code listening <port>}, serves until its stdin closes, then shuts down.
 */
public final class EmfileServerMain {
    private EmfileServerMain() {}

    public static void main(String[] args) throws Exception {
        try (Reactor r = Reactor.builder().loops(1).acceptBackoff(Duration.ofMillis(50)).linger(Duration.ZERO)
                .closeGrace(Duration.ofMillis(200)).build();
             Listener l = r.listen(new InetSocketAddress("127.0.0.1", 0), Echo::new)) {
            System.out.println("listening " + l.port());
            System.out.flush();
            while (System.in.read() >= 0) {
                // serve until the parent closes our stdin
            }
            System.err.println(r.counters().get(0));
        }
    }
}
