package io.ffmepoll.reactor;

import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * Child JVM for {@link LoopMXBeanTest}: builds a reactor with JMX asked for and
 * echoes one message, then prints whether {@code java.management} was in the runtime.
 */
public final class NoManagementMain {
    public static void main(String[] args) throws Exception {
        try (Reactor r = Reactor.builder().loops(1).jmx(true).closeGrace(java.time.Duration.ofSeconds(1)).build();
             Listener l = r.listen(new InetSocketAddress("127.0.0.1", 0), Echo::new);
             Socket s = new Socket("127.0.0.1", l.port())) {
            s.getOutputStream().write("ping".getBytes());
            byte[] back = s.getInputStream().readNBytes(4);
            System.out.println("echoed " + new String(back) + "; java.management present: "
                    + ModuleLayer.boot().findModule("java.management").isPresent());
        }
    }
}
