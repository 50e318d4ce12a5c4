package io.ffmepoll.reactor;

import io.ffmepoll.epoll.Fds;
import io.ffmepoll.internal.sys.FaultPlan;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Runs the library under seeded schedules of system-call faults ({@link FaultPlan}): each seed
 * picks a scenario (socket transfers, the reactor's echo, HTTP-like exchanges, Unix and UDP,
 * client connects, timers and cross-thread tasks, graceful shutdown), the kinds of fault and
 * their rate, and checks the invariants after the run (see {@link FaultScenarios}).
 * <p>Runs only under {@code -Dffmepoll.faults=io.ffmepoll.internal.sys.FaultPlan}, which
 * {@code mvn verify} passes in its {@code fault-schedules} execution. Properties:
 * {@code ffmepoll.seed} (replay one seed, verbosely), {@code ffmepoll.schedules} (how many),
 * {@code ffmepoll.firstSeed}, {@code ffmepoll.minutes} (stop a long run after that long),
 * {@code ffmepoll.repeat} (run each seed that many times),
 * {@code ffmepoll.faultKinds} (restrict the kinds, as {@link FaultPlan#parseKinds} reads them),
 * {@code ffmepoll.scenario} (run only that one).
 */
class FaultScheduleTest {

    /** Kinds left out of the default run while a defect they expose is open (none now). */
    static final int KNOWN_OPEN = 0;

    @Test
    void seededSchedulesKeepEveryInvariant() throws Exception {
        Assumptions.assumeTrue(FaultPlan.installed(), "needs -Dffmepoll.faults=" + FaultPlan.class.getName());
        String one = System.getProperty("ffmepoll.seed");
        long first = one != null ? Long.parseLong(one) : Long.getLong("ffmepoll.firstSeed", 1);
        long count = one != null ? 1 : Long.getLong("ffmepoll.schedules", 10_000);
        String kindsSpec = System.getProperty("ffmepoll.faultKinds");
        int allowed = kindsSpec != null ? FaultPlan.parseKinds(kindsSpec) : FaultPlan.ALL & ~KNOWN_OPEN;
        List<String> failures = new ArrayList<>();
        FaultScenarios.warmUp();
        long start = System.nanoTime();
        long injected = 0;
        long[] nanos = new long[FaultScenarios.Scenario.values().length];
        long[] runs = new long[nanos.length];
        // -Dffmepoll.minutes=M stops a long run after M minutes, reporting how many ran.
        long stopAt = start + (long) (Double.parseDouble(System.getProperty("ffmepoll.minutes", "1e9")) * 60e9);
        long ran = 0;
        // -Dffmepoll.repeat=K replays each seed K times: a timing-dependent failure shows in some.
        long repeat = Long.getLong("ffmepoll.repeat", 1);
        boolean verbose = one != null && repeat == 1;
        for (long i = 0; i < count * repeat && failures.size() < 10 && System.nanoTime() - stopAt < 0; i++, ran++) {
            long seed = first + i / repeat;
            long t0 = System.nanoTime();
            FaultScenarios.Outcome o = run(seed, allowed, verbose);
            nanos[o.scenario().ordinal()] += System.nanoTime() - t0;
            runs[o.scenario().ordinal()]++;
            injected += o.injected();
            if (o.failure() != null) {
                String line = "fault schedule failed: " + o.describe() + "\n  replay: mvn -B test -Dtest=FaultScheduleTest"
                        + " -Dffmepoll.seed=" + seed + (kindsSpec != null ? " '-Dffmepoll.faultKinds=" + kindsSpec + "'" : "");
                System.out.println(line);
                failures.add(line);
            } else if (verbose) {
                System.out.println("fault schedule passed: " + o.describe());
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("fault schedules: %d from seed %d in %.1f s (%.0f/s), %d faults injected, %d failed%n",
                ran, first, seconds, ran / seconds, injected, failures.size());
        StringBuilder per = new StringBuilder("mean ms per schedule:");
        for (FaultScenarios.Scenario sc : FaultScenarios.Scenario.values()) {
            int i = sc.ordinal();
            if (runs[i] > 0) per.append(String.format(" %s %.1f", sc, nanos[i] / 1e6 / runs[i]));
        }
        System.out.println(per);
        if (!failures.isEmpty()) fail(failures.size() + " schedule(s) failed:\n" + String.join("\n", failures));
    }

    /** One schedule: the scenario's own checks, then no fd left open that was not before. */
    static FaultScenarios.Outcome run(long seed, int allowed, boolean verbose) throws Exception {
        Set<Integer> before = Fds.open();
        FaultScenarios.Outcome o = FaultScenarios.run(seed, allowed, verbose);
        if (o.failure() == null) {
            String leak = leaked(before);
            if (leak != null) return o.failed("fd leak: " + leak);
        }
        return o;
    }

    /** Sockets, pipes and anonymous inodes (epoll, eventfd, timerfd) open now and not in {@code before}. */
    static String leaked(Set<Integer> before) {
        Set<String> leaks = new TreeSet<>();
        for (int fd : Fds.open()) {
            if (before.contains(fd)) continue;
            try {
                String target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
                if (target.startsWith("socket:") || target.startsWith("pipe:") || target.startsWith("anon_inode:")) {
                    leaks.add(fd + " -> " + target);
                }
            } catch (IOException closedMeanwhile) {
                // not open any more
            }
        }
        return leaks.isEmpty() ? null : leaks.toString();
    }

    static InetSocketAddress loopback() {
        return new InetSocketAddress("127.0.0.1", 0);
    }
}
