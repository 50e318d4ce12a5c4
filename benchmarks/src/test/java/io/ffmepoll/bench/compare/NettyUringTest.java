package io.ffmepoll.bench.compare;

import io.netty.channel.uring.IoUring;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code netty-uring}: Netty's io_uring transport serves the same echo and HTTP as the others
 * where the kernel offers io_uring, and is skipped with its reason where it does not. The second
 * case is forced with Netty's own switch {@code -Dio.netty.transport.noNative=true}, so it runs
 * on every machine.
 */
class NettyUringTest {

    @ParameterizedTest
    @ValueSource(strings = {"echo", "http"})
    void nettyUringPassesTheCheckWhereIoUringIsAvailable(String proto) {
        assumeTrue(IoUring.isAvailable(), () -> "io_uring not offered here: " + IoUring.unavailabilityCause());
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            Servers.Running srv = Servers.start("netty-uring", proto, 1, false, List.of(), List.of(), 50);
            try {
                Check.Outcome o = Check.run(srv.port(), proto);
                assertEquals(List.of(), o.failures(), "Check failures for netty-uring " + proto);
            } finally {
                srv.stop();
            }
        });
    }

    @Test
    void compareSkipsAnImplementationWhoseTransportIsUnavailableWithItsReason(@TempDir Path tmp) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Path out = tmp.resolve("out");
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), Compare.class.getName(), "echo-50-64",
                "--impls", "netty-uring", "--rounds", "1", "--no-pin", "--no-wrk", "--out", out.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(tmp.resolve("stderr").toFile());
        pb.environment().put("BENCH_HOME", tmp.toString());
        pb.environment().put("BENCH_JAVA", java);
        pb.environment().put("BENCH_CP", System.getProperty("java.class.path"));
        pb.environment().put("BENCH_JAVA_FLAGS", "--enable-native-access=ALL-UNNAMED -Dio.netty.transport.noNative=true");
        Process p = pb.start();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "compare still running after 60 s");
        String stderr = Files.readString(tmp.resolve("stderr"));
        assertEquals(0, p.exitValue(), "compare crashed; stderr:\n" + stderr);
        String reason = "Netty's io_uring transport is unavailable here: "
                + "Native transport was explicit disabled with -Dio.netty.transport.noNative=true.";
        assertTrue(stdout.contains("echo-50-64    netty-uring  not measured: " + reason), stdout);
        assertTrue(stderr.contains("check netty-uring/echo: skipped, " + reason), stderr);
        assertFalse(stdout.contains("exited with status"), "the reason is the server's sentence, not a status:\n" + stdout);
        try (var files = Files.list(out)) {
            assertEquals(3, files.count(), "csv, svg and txt in --out");
        }
    }
}
