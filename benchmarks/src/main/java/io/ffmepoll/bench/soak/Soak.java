package io.ffmepoll.bench.soak;

import io.ffmepoll.bench.common.Args;
import io.ffmepoll.bench.common.Results;
import io.ffmepoll.bench.compare.Servers;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * {@code bench soak --minutes N}: the four ffm example servers (echo, HTTP, Unix echo, UDP
 * echo), each its own JVM under {@code -XX:NativeMemoryTracking=summary}, under {@link Traffic}
 * for N minutes while every server is sampled from outside every few seconds ({@link Probe}).
 * <p>The run fails (exit status 1) on any traffic error, on growth of a {@link Metric} by the
 * {@link Trend} rule, on a server that does not give back its descriptors and connections once
 * the traffic has stopped, on server-side accept errors or handler failures, or on a server
 * that died. It prints a table of the samples and writes CSV, text and SVG to target/results/ (see {@link Results}).
 */
public final class Soak {

    private static final List<String> NAMES = List.of("echo", "http", "unix", "udp");
    private static final long QUIESCE_NS = TimeUnit.SECONDS.toNanos(20);

    private final double minutes;
    private final double interval;
    private final long seed;
    private final String leak;
    private Path resultsDir;
    private final List<String> failures = new ArrayList<>();
    private final List<Sample> samples = new ArrayList<>();

    private Soak(double minutes, double interval, long seed, String leak) {
        this.minutes = minutes;
        this.interval = interval;
        this.seed = seed;
        this.leak = leak;
    }

    /** Entry point of {@code bench soak}; exits 0 when the run passed, 1 when it failed, 2 on bad options. */
    public static void main(String[] argv) throws Exception {
        Soak soak;
        try {
            Args a = new Args(argv);
            if (!a.positional().isEmpty()) throw new IllegalArgumentException("unexpected argument '" + a.positional().get(0) + "'");
            double minutes = a.decimal("minutes", 1);
            if (!(minutes > 0) || minutes > 24 * 60) throw new IllegalArgumentException("--minutes must be above 0 and at most 1440");
            // About 20 samples in a short run, one every 5 s in a long one.
            double interval = a.decimal("interval", Math.max(2, Math.min(5, minutes * 60 / 20)));
            if (!(interval >= 1)) throw new IllegalArgumentException("--interval must be at least 1 (seconds)");
            String leak = a.get("leak", null);
            if (leak != null && !List.of("fd", "heap", "native").contains(leak)) {
                throw new IllegalArgumentException("--leak fd|heap|native, not '" + leak + "'");
            }
            soak = new Soak(minutes, interval, a.number("seed", System.nanoTime() & 0xFFFFFF), leak);
            soak.resultsDir = Results.dir(a, Path.of(Servers.home()));
        } catch (IllegalArgumentException e) {
            System.err.println("bench soak: " + e.getMessage());
            System.err.println("usage: bench soak [--minutes N (default 1, fractions allowed)] [--interval s] [--seed S] [--leak fd|heap|native] [--keep | --out DIR]");
            System.exit(2);
            return;
        }
        System.exit(soak.run() ? 0 : 1);
    }

    private static void progress(String s) {
        System.err.println(s);
        System.err.flush();
    }

    private boolean run() throws Exception {
        String java = System.getenv().getOrDefault("BENCH_JAVA", ProcessHandle.current().info().command().orElse("java"));
        Path jcmd = Path.of(java).resolveSibling("jcmd");
        if (!Files.isExecutable(jcmd)) {
            progress("bench soak: no jcmd next to " + java + ": the soak needs a full JDK (jcmd reads heap and native memory)");
            return false;
        }
        Path work = Path.of(Servers.home(), "target", "soak");
        Files.createDirectories(work);
        Path commands = work.resolve("jcmd-commands.txt");
        Files.writeString(commands, Probe.JCMD_COMMANDS);
        Path unixPath = work.resolve("echo.sock");
        progress(String.format(Locale.ROOT, "soak: %.2f min, a sample every %.0f s, seed %d%s", minutes, interval, seed,
                leak == null ? "" : ", servers leak one " + leak + " per connection (--leak)"));

        List<String> jvm = List.of("-XX:NativeMemoryTracking=summary");
        List<String> common = new ArrayList<>(List.of("--counters-every", "1"));
        Map<String, Probe> probes = new LinkedHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(NAMES.size());
        long t0 = System.nanoTime();
        try {
            // One after the other, each allowed two minutes: on a 2-core machine shared with
            // other builds a JVM under NMT has been seen to take over 30 s to start.
            for (String name : NAMES) {
                String proto = switch (name) {
                    case "unix" -> "unix-echo";
                    case "udp" -> "udp-echo";
                    default -> name;
                };
                List<String> args = new ArrayList<>(common);
                if (name.equals("unix")) args.addAll(List.of("--path", unixPath.toString()));
                if (leak != null && !name.equals("udp")) args.addAll(List.of("--leak", leak));
                try {
                    probes.put(name, new Probe(name, Servers.start("ffm", proto, 1, false, jvm, args, 120), jcmd, commands));
                } catch (IOException e) {
                    progress("bench soak: " + name + " server: " + e.getMessage());
                    return false;
                }
            }
            progress(String.format(Locale.ROOT, "soak: servers up in %.1f s", (System.nanoTime() - t0) / 1e9));
            return soak(pool, probes, unixPath);
        } finally {
            for (Probe p : probes.values()) {
                String note = p.server.stop();
                if (note != null) progress("soak: " + p.name + ": " + note);
            }
            pool.shutdownNow();
            progress(String.format(Locale.ROOT, "soak: %.0f s in all", (System.nanoTime() - t0) / 1e9));
        }
    }

    private boolean soak(ExecutorService pool, Map<String, Probe> probes, Path unixPath) throws Exception {
        // The first attach starts each JVM's attach listener (a socket): measure after it.
        sampleAll(pool, probes, -1, "warm");
        samples.clear();
        sampleAll(pool, probes, 0, "idle");
        Map<String, List<String>> idleFiles = new HashMap<>();
        for (Probe p : probes.values()) idleFiles.put(p.name, p.openFiles());

        Traffic traffic = new Traffic(new Traffic.Targets(
                new InetSocketAddress("127.0.0.1", probes.get("echo").server.port()),
                new InetSocketAddress("127.0.0.1", probes.get("http").server.port()),
                UnixDomainSocketAddress.of(unixPath),
                new InetSocketAddress("127.0.0.1", probes.get("udp").server.port())), seed);
        long start = System.nanoTime();
        long end = start + (long) (minutes * 60e9);
        traffic.start();
        long next = start;
        while (true) {
            // A sample takes a while (jcmd); when they fall behind, the next one starts at once.
            long now = System.nanoTime();
            next = Math.max(next + (long) (interval * 1e9), now);
            if (next >= end) break;
            TimeUnit.NANOSECONDS.sleep(next - now);
            double t = (System.nanoTime() - start) / 1e9;
            List<Sample> got = sampleAll(pool, probes, t, "traffic");
            progress(String.format(Locale.ROOT, "soak %5.0fs  %s  messages %,d  connections %,d  errors %d", t,
                    SoakReport.brief(got), traffic.messages.get(), traffic.connections.get(), traffic.errors.get()));
            for (Probe p : probes.values()) {
                if (!p.server.process().isAlive()) {
                    failures.add(p.name + " server died (exit status " + p.server.process().exitValue() + ")");
                }
                if (p.jcmdProblem() != null) progress("soak: " + p.name + ": " + p.jcmdProblem());
            }
            if (!failures.isEmpty()) break;
        }
        long left = end - System.nanoTime();
        if (left > 0 && failures.isEmpty()) TimeUnit.NANOSECONDS.sleep(left);
        double trafficSeconds = (System.nanoTime() - start) / 1e9;
        traffic.stop();
        progress("soak: traffic stopped; waiting (at most 20 s) for the servers to give back connections and descriptors");
        quiesce(pool, probes, idleFiles, trafficSeconds);

        // Verdict.
        if (traffic.errors.get() > 0) {
            failures.add(traffic.errors.get() + " traffic error(s); first: " + String.join(" | ", traffic.firstErrors));
        }
        Map<String, Map<Metric, Trend>> trends = new LinkedHashMap<>();
        for (String name : probes.keySet()) {
            List<Sample> under = samples.stream().filter(s -> s.server().equals(name) && s.phase().equals("traffic")).toList();
            Map<Metric, Trend> m = new LinkedHashMap<>();
            for (Metric metric : Metric.values()) {
                Trend tr = metric.trend(under);
                m.put(metric, tr);
                if (tr.grew()) failures.add(name + " " + metric.label + " grew: " + tr.describe(metric.scale, metric.unit));
            }
            trends.put(name, m);
        }
        String stamp = "soak-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        String report = SoakReport.text(samples, trends, traffic, trafficSeconds, seed, failures);
        System.out.println(report);
        Path dir = resultsDir;
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(stamp + ".csv"), SoakReport.csv(samples), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve(stamp + ".txt"), report + "\n", StandardCharsets.UTF_8);
        Files.writeString(dir.resolve(stamp + ".svg"), SoakReport.svg(samples, trends, stamp, failures.isEmpty()), StandardCharsets.UTF_8);
        progress("soak: wrote " + dir.resolve(stamp) + ".csv, .txt and .svg" + Results.hint(dir, Path.of(Servers.home())));
        progress(failures.isEmpty() ? "soak: PASSED" : "soak: FAILED (" + failures.size() + " finding(s), see above)");
        return failures.isEmpty();
    }

    /**
     * With the traffic stopped, every server must be back where it was before it: no connection
     * open in its loops and no more descriptors than at the idle sample (bounded wait). Then one
     * last sample, and the server-side error counters.
     */
    private void quiesce(ExecutorService pool, Map<String, Probe> probes, Map<String, List<String>> idleFiles,
                         double trafficSeconds) throws Exception {
        Map<String, Sample> idle = new HashMap<>();
        for (Sample s : samples) if (s.phase().equals("idle")) idle.put(s.server(), s);
        long deadline = System.nanoTime() + QUIESCE_NS;
        List<Sample> after;
        while (true) {
            after = sampleAll(pool, probes, trafficSeconds, "after");
            boolean settled = true;
            for (Sample s : after) {
                settled &= s.fds() <= idle.get(s.server()).fds() && (s.open() <= 0 || s.server().equals("udp"));
            }
            if (settled || System.nanoTime() > deadline) break;
            samples.removeAll(after);
            Thread.sleep(1000);
        }
        for (Sample s : after) {
            Sample before = idle.get(s.server());
            if (s.fds() > before.fds()) {
                List<String> now = new ArrayList<>(probes.get(s.server()).openFiles());
                for (String f : idleFiles.get(s.server())) now.remove(f);
                failures.add(String.format(Locale.ROOT, "%s holds %d descriptors 20 s after the traffic, %d before it: %s",
                        s.server(), s.fds(), before.fds(), SoakReport.summarizeFiles(now)));
            }
            if (s.open() > 0 && !s.server().equals("udp")) {
                failures.add(s.server() + " still counts " + s.open() + " open connection(s) 20 s after the traffic");
            }
            if (s.acceptErrors() > 0) failures.add(s.server() + ": " + s.acceptErrors() + " accept error(s)");
            if (s.handlerFailures() > 0) failures.add(s.server() + ": " + s.handlerFailures() + " handler failure(s)");
            if (s.accepted() < 0) failures.add(s.server() + ": no loop counters in its log");
        }
    }

    /** Samples every server at once (one thread each, so the jcmd attaches overlap). */
    private List<Sample> sampleAll(ExecutorService pool, Map<String, Probe> probes, double t, String phase) throws Exception {
        List<Future<Sample>> futures = new ArrayList<>();
        for (Probe p : probes.values()) futures.add(pool.submit(() -> p.sample(t, phase)));
        List<Sample> got = new ArrayList<>();
        for (Future<Sample> f : futures) got.add(f.get());
        samples.addAll(got);
        return got;
    }
}
