package io.ffmepoll.reactor;

import io.ffmepoll.epoll.ChildJvm;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a reactor that only listens loads before it says so, in a fresh JVM with
 * {@code -verbose:class} and jdk.jfr and java.management both in the runtime: no feature it was
 * not asked for.
 */
class StartupFootprintTest {

    /** The whole output of the last child. */
    private static String lastOutput;

    /** The classes the child loaded before it printed {@code listening}. */
    private static List<String> loadedBeforeListening(List<String> jvmOptions) throws Exception {
        return loadedBeforeListening(jvmOptions, new String[0]);
    }

    private static List<String> loadedBeforeListening(List<String> jvmOptions, String... args) throws Exception {
        List<String> options = new java.util.ArrayList<>(List.of("-verbose:class", "--add-modules", "jdk.jfr,java.management",
                "--add-reads", "io.ffmepoll=jdk.jfr,java.management"));
        options.addAll(jvmOptions);
        String out = ChildJvm.run(ListenOnceMain.class, 0, options, args);
        lastOutput = out;
        int end = out.indexOf("\nlistening ");
        assertTrue(end > 0, "the child did not listen: " + out.substring(Math.max(0, out.length() - 2000)));
        return out.substring(0, end).lines().filter(l -> l.startsWith("[")).toList();
    }

    private static List<String> matching(List<String> loaded, String... needles) {
        return loaded.stream().filter(l -> {
            for (String n : needles) if (l.contains(n)) return true;
            return false;
        }).toList();
    }

    @Test
    void listeningLoadsNoJfrClassesUntilARecordingWantsThem() {
        assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
            List<String> loaded = loadedBeforeListening(List.of());
            assertEquals(List.of(), matching(loaded, " jdk.jfr.Event ", " jdk.jfr.internal.MetadataRepository ",
                    " io.ffmepoll.reactor.SlowHandlerEvent "));
        });
    }

    @Test
    void listeningCreatesNoPlatformMBeanServerUnlessAsked() {
        assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
            List<String> loaded = loadedBeforeListening(List.of());
            assertEquals(List.of(), matching(loaded, " java.lang.management.ManagementFactory ",
                    " com.sun.jmx.mbeanserver.JmxMBeanServer "));
        });
    }

    @Test
    void jmxPropertyRegistersTheLoopsWhereNoMBeanServerExists() {
        assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
            List<String> loaded = loadedBeforeListening(List.of("-Dio.ffmepoll.jmx=true"), "--count-beans");
            assertEquals(1, matching(loaded, " com.sun.jmx.mbeanserver.JmxMBeanServer ").size(), "no MBeanServer made");
            assertTrue(lastOutput.contains("\nloop beans 1"), lastOutput.substring(lastOutput.indexOf("\nlistening ")));
        });
    }

    /** jextract's function classes each make a second, non-capturing downcall handle: never used. */
    @Test
    void listeningMakesNoDowncallHandleTwice() {
        assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
            List<String> loaded = loadedBeforeListening(List.of());
            List<String> functionClasses = matching(loaded, " io.ffmepoll.internal.gen.Linux$").stream()
                    .filter(l -> !l.contains(" io.ffmepoll.internal.gen.Linux$shared "))   // the C type layouts only
                    .toList();
            assertEquals(List.of(), functionClasses);
        });
    }
}
