package io.ffmepoll.bench.ffm;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link FfmServer} as a real child JVM, started the way {@code bench serve --impl ffm} starts it
 * (same java, class path, {@code --enable-native-access=ALL-UNNAMED}), so SIGTERM, the shutdown
 * hook and the {@code listening} line are exercised exactly as in use. Always {@link #close()}d:
 * a server that outlives its test is killed.
 */
final class ServerProcess implements AutoCloseable {

    /** One {@link io.ffmepoll.reactor.LoopCounters} line per loop, printed by the shutdown hook. */
    static final Pattern COUNTER_LINE = Pattern.compile(
            "(?m)^loop \\d+: waits=\\d+ events=\\d+ .* handlerFailures=(\\d+) .*$");
    // Generous: a --tls server without --cert first makes its certificate with keytool, a JVM start of its own.
    private static final long START_TIMEOUT_S = 60;
    private static final long STOP_TIMEOUT_S = 5;

    private final Process process;
    private final Path stderr;
    private final String where;

    private ServerProcess(Process process, Path stderr, String where) {
        this.process = process;
        this.stderr = stderr;
        this.where = where;
    }

    /** Starts {@code FfmServer --proto proto --loops loops [extra...]} and waits for its listening line. */
    static ServerProcess start(String proto, int loops, String... extra) throws IOException {
        return start(List.of(), proto, loops, extra);
    }

    /** As {@link #start(String, int, String...)}, with {@code jvmFlags} (system properties...) before the class path. */
    static ServerProcess start(List<String> jvmFlags, String proto, int loops, String... extra) throws IOException {
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED"));
        cmd.addAll(jvmFlags);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), FfmServer.class.getName(),
                "--proto", proto, "--loops", Integer.toString(loops)));
        cmd.addAll(List.of(extra));
        if (!cmd.contains("--port")) cmd.addAll(List.of("--port", "0"));
        Path err = Files.createTempFile("ffm-server-" + proto + "-", ".err");
        Process p = new ProcessBuilder(cmd)
                .redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.PIPE)
                .start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII));
        CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine();
            } catch (IOException e) {
                return null;
            }
        });
        String line;
        try {
            line = first.get(START_TIMEOUT_S, TimeUnit.SECONDS);
        } catch (TimeoutException | InterruptedException | ExecutionException e) {
            line = null;
        }
        if (line == null || !line.startsWith("listening ")) {
            p.destroyForcibly();
            fail("FfmServer --proto " + proto + " did not print 'listening' (got " + line + "); stderr:\n"
                    + Files.readString(err));
        }
        // Keep draining stdout so a chatty server can never block on a full pipe.
        Thread.ofVirtual().start(() -> {
            try {
                while (out.readLine() != null) {
                    // discard
                }
            } catch (IOException ignored) {
                // the process is gone
            }
        });
        return new ServerProcess(p, err, line.substring("listening ".length()).trim());
    }

    int port() {
        return Integer.parseInt(where);
    }

    Path path() {
        return Path.of(where);
    }

    /**
     * Sends SIGTERM and requires a graceful exit: within {@value #STOP_TIMEOUT_S} s, status 0 or
     * 143 (128 + SIGTERM, what the JVM reports once its shutdown hooks ran), one counter line per
     * loop on stderr, no handler failure and nothing else on stderr. Returns stderr.
     */
    String stopGracefully(int loops) throws IOException, InterruptedException {
        assertTrue(process.isAlive(), "server died before SIGTERM; stderr:\n" + Files.readString(stderr));
        process.destroy();   // SIGTERM
        boolean exited = process.waitFor(STOP_TIMEOUT_S, TimeUnit.SECONDS);
        String err = Files.readString(stderr);
        assertTrue(exited, "server still running " + STOP_TIMEOUT_S + " s after SIGTERM; stderr:\n" + err);
        int status = process.exitValue();
        assertTrue(status == 0 || status == 143, "exit status " + status + "; stderr:\n" + err);
        var m = COUNTER_LINE.matcher(err);
        int lines = 0;
        while (m.find()) {
            lines++;
            assertEquals("0", m.group(1), "handler failures reported: " + m.group());
        }
        assertEquals(loops, lines, "one counter line per loop expected; stderr:\n" + err);
        // Nothing else: no JVM warning (native access), no logged handler or loop failure.
        String others = COUNTER_LINE.matcher(err).replaceAll("").strip();
        assertEquals("", others, "unexpected output on stderr");
        return err;
    }

    /** Kills the server (SIGKILL, no shutdown hook) if it still runs, and drops its stderr file. */
    @Override
    public void close() throws IOException {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(STOP_TIMEOUT_S, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Files.deleteIfExists(stderr);
    }
}
