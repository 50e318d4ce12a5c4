package io.ffmepoll.bench.soak;

import io.ffmepoll.bench.compare.Servers;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The soak's sampler against a real FfmServer JVM, started as the soak starts it: every metric
 * is read (none left at -1, which would silently turn a growth test off), and the loop counters
 * follow a connection opening and closing.
 */
class ProbeTest {

    @Test
    void readsEveryMetricOfARealServerFromOutsideAndFollowsItsCounters() {
        assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
            Path jcmd = Path.of(ProcessHandle.current().info().command().orElseThrow()).resolveSibling("jcmd");
            Path commands = Files.createTempFile("soak-jcmd-", ".txt");
            Files.writeString(commands, Probe.JCMD_COMMANDS);
            Servers.Running srv = Servers.start("ffm", "echo", 1, false,
                    List.of("-XX:NativeMemoryTracking=summary"), List.of("--counters-every", "0.2"), 60);
            try {
                Probe probe = new Probe("echo", srv, jcmd, commands);
                Sample idle = await(probe, s -> s.accepted() >= 0);
                assertTrue(idle.fds() > 3, "fds " + idle);
                assertTrue(idle.threads() > 1, "threads " + idle);
                assertTrue(idle.rss() > 1 << 20, "rss " + idle);
                assertTrue(idle.heap() > 0, "heap after GC " + idle + "; jcmd: " + probe.jcmdProblem());
                assertTrue(idle.nativeBytes() > 1 << 20, "native " + idle);
                assertTrue(idle.other() >= 0, "NMT Other " + idle);
                assertEquals(0, idle.open(), "open connections " + idle);
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", srv.port()));
                    Sample one = await(probe, x -> x.open() == 1);
                    assertEquals(1, one.accepted(), "accepted " + one);
                    assertTrue(probe.openFiles().stream().anyMatch(f -> f.startsWith("socket:")), "a socket among " + probe.openFiles());
                }
                Sample after = await(probe, x -> x.open() == 0);
                assertEquals(0, after.acceptErrors() + after.handlerFailures(), "server-side errors " + after);
            } finally {
                srv.stop();
                Files.deleteIfExists(commands);
            }
        });
    }

    /** Samples until {@code done} holds (the counters arrive every 0.2 s); the test's timeout bounds it. */
    private static Sample await(Probe probe, Predicate<Sample> done) throws InterruptedException {
        while (true) {
            Sample s = probe.sample(0, "test");
            if (done.test(s)) return s;
            Thread.sleep(100);
        }
    }
}
