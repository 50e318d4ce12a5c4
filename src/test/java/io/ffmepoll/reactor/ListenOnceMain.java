package io.ffmepoll.reactor;

import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * Child JVM for {@link StartupFootprintTest}: builds a reactor with the default settings, listens,
 * prints {@code listening}, and shuts down. Run with {@code -verbose:class}, its output lists
 * every class loaded by then. {@code --count-beans} then prints how many loop MXBeans exist.
 */
public final class ListenOnceMain {
    public static void main(String[] args) throws Exception {
        try (Reactor r = Reactor.builder().loops(1).closeGrace(Duration.ofMillis(100)).build();
             Listener l = r.listen(new InetSocketAddress("127.0.0.1", 0), Echo::new)) {
            System.out.println("listening " + l.port());
            System.out.flush();
            if (args.length > 0 && args[0].equals("--count-beans")) {
                // After "listening", so the classes this loads are not counted as the reactor's.
                System.out.println("loop beans " + java.lang.management.ManagementFactory.getPlatformMBeanServer()
                        .queryNames(new javax.management.ObjectName("io.ffmepoll:type=EventLoop,*"), null).size());
            }
        }
    }
}
