package io.ffmepoll.reactor;

import java.lang.management.ManagementFactory;
import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import javax.management.ObjectName;

/**
 * Registers loops' {@link EventLoopMXBean}s with the platform MBeanServer. The only class that
 * touches {@code java.management}: it is loaded only where {@link LoopMXBean#MANAGEMENT} says
 * the module is there, so the library runs in a runtime without it.
 */
final class LoopMBeans {

    private LoopMBeans() {}

    /** The system property that says whether loops register beans when the builder does not. */
    static final String PROPERTY = "io.ffmepoll.jmx";

    /**
     * Whether a reactor whose builder did not say registers its loops' beans: as
     * {@link #PROPERTY} says if set, else exactly when an MBeanServer exists already (JMX is in
     * use: looking costs nothing, creating the platform one costs more than the reactor).
     * Call only if {@link LoopMXBean#MANAGEMENT}.
     */
    static boolean wanted() {
        String p = System.getProperty(PROPERTY);
        if (p != null && !p.isBlank()) return Boolean.parseBoolean(p.strip());
        return !MBeanServerFactory.findMBeanServer(null).isEmpty();
    }

    /** The name a loop's bean has: {@code io.ffmepoll:type=EventLoop,reactor=N,loop=I}. */
    static String name(int reactor, int loop) {
        return "io.ffmepoll:type=EventLoop,reactor=" + reactor + ",loop=" + loop;
    }

    /**
     * Registers {@code loop}'s bean; returns what unregisters it. A failure to register is
     * logged and leaves the loop without a bean: observability must not stop a reactor.
     * Call only if {@link LoopMXBean#MANAGEMENT}.
     */
    static Runnable register(EventLoop loop, int reactor, String threadName) {
        try {
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            ObjectName name = new ObjectName(name(reactor, loop.index()));
            server.registerMBean(new LoopMXBean(loop, threadName), name);
            return () -> unregister(server, name);
        } catch (JMException | RuntimeException e) {
            Log.log(System.Logger.Level.WARNING, "event loop " + loop.index() + ": JMX registration failed", e);
            return () -> {};
        }
    }

    private static void unregister(MBeanServer server, ObjectName name) {
        try {
            server.unregisterMBean(name);
        } catch (InstanceNotFoundException gone) {
            // unregistered by someone else: nothing to do
        } catch (JMException | RuntimeException e) {
            Log.log(System.Logger.Level.WARNING, "JMX: unregistering " + name + " failed", e);
        }
    }
}
