package io.ffmepoll.reactor;

import io.ffmepoll.epoll.ChildJvm;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.reflect.RecordComponent;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import javax.management.JMX;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The loops' counters on the platform MBeanServer, and the reactor without java.management. */
class LoopMXBeanTest {

    private static final MBeanServer SERVER = ManagementFactory.getPlatformMBeanServer();

    private static Set<ObjectName> loopBeans() throws Exception {
        return SERVER.queryNames(new ObjectName("io.ffmepoll:type=EventLoop,*"), null);
    }

    /** The beans this reactor added: those that were not there before it was built. */
    private static List<ObjectName> added(Set<ObjectName> before) throws Exception {
        Set<ObjectName> now = new HashSet<>(loopBeans());
        now.removeAll(before);
        return now.stream().sorted().toList();
    }

    @Test
    void eachLoopIsAnMXBeanFromBuildUntilTermination() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            Set<ObjectName> before = loopBeans();
            List<ObjectName> names;
            try (Reactor r = Net.small().loops(2).build();
                 Listener l = r.listen(new InetSocketAddress("127.0.0.1", 0), Echo::new);
                 Socket s = Net.connect(l.port())) {
                names = added(before);
                assertEquals(2, names.size(), names.toString());
                String reactor = names.get(0).getKeyProperty("reactor");
                for (int i = 0; i < 2; i++) {
                    ObjectName n = names.get(i);
                    assertEquals("EventLoop", n.getKeyProperty("type"));
                    assertEquals(reactor, n.getKeyProperty("reactor"));
                    assertEquals(String.valueOf(i), n.getKeyProperty("loop"));
                }
                s.getOutputStream().write(new byte[100]);
                Net.readFully(s.getInputStream(), 100);
                long accepted = 0, read = 0;
                for (ObjectName n : names) {
                    EventLoopMXBean bean = JMX.newMXBeanProxy(SERVER, n, EventLoopMXBean.class);
                    int loop = bean.getLoop();
                    assertEquals("test-loop-" + loop, bean.getThreadName());
                    LoopCounters direct = r.loops().get(loop).counters();
                    assertEquals(direct.accepted(), bean.getAccepted());
                    assertTrue(bean.getWaits() >= direct.waits());
                    accepted += bean.getAccepted();
                    read += (Long) SERVER.getAttribute(n, "BytesRead");   // the generic way, as jconsole reads it
                }
                assertEquals(1, accepted);
                assertEquals(100, read);
            }
            assertEquals(List.of(), added(before), "a terminated reactor's loops are unregistered");
        });
    }

    /** Every counter of LoopCounters is an attribute: the bean cannot silently fall behind the record. */
    @Test
    void everyLoopCounterIsAnAttribute() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            Set<ObjectName> before = loopBeans();
            try (Reactor r = Net.small().loops(1).build()) {
                ObjectName n = added(before).getFirst();
                Set<String> attributes = new TreeSet<>();
                for (MBeanAttributeInfo a : SERVER.getMBeanInfo(n).getAttributes()) attributes.add(a.getName());
                Set<String> expected = new TreeSet<>(List.of("ThreadName", "EventsPerWait", "BusyFraction"));
                for (RecordComponent c : LoopCounters.class.getRecordComponents()) {
                    expected.add(Character.toUpperCase(c.getName().charAt(0)) + c.getName().substring(1));
                }
                assertEquals(expected, attributes);
                for (String a : attributes) SERVER.getAttribute(n, a);   // each readable
            }
        });
    }

    @Test
    void jmxFalseRegistersNothing() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            Set<ObjectName> before = loopBeans();
            try (Reactor r = Net.small().loops(2).jmx(false).build()) {
                assertEquals(List.of(), added(before));
            }
        });
    }

    /**
     * A runtime without java.management (a jlink image, or a module path that does not resolve
     * it) still runs the reactor, with JMX left on: the beans are skipped, not a
     * NoClassDefFoundError.
     */
    @Test
    void reactorRunsInARuntimeWithoutJavaManagement() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            String out = ChildJvm.run(NoManagementMain.class, 0, List.of("--limit-modules", "io.ffmepoll"));
            assertEquals("echoed ping; java.management present: false", out.strip());
        });
    }
}
