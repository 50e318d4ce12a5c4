package io.ffmepoll.bench.compare;

import io.ffmepoll.bench.common.Args;
import io.ffmepoll.bench.common.Results;
import io.ffmepoll.bench.load.LoadGen;
import io.ffmepoll.bench.load.TlsLoad;
import io.ffmepoll.bench.load.Wrk;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the comparison matrix: every implementation checked, then each scenario run against each
 * implementation, in an order that rotates every round, with the server on CPU 0 and this process
 * (the load generator) on CPU 1. Prints medians, writes &lt;time&gt;.csv, .svg and .txt where
 * {@link Results#dir} says (target/results unless {@code --keep} or {@code --out DIR}).
 */
public final class Compare {

    static final List<String> DEFAULT_SCENARIOS = List.of("echo-50-64", "http-pipe16");

    /**
     * One measured run. {@code listenOverflows}: the kernel's machine-wide count in the window;
     * {@code connectsRetried}: a storm's connects that lost their SYN; -1 where not measured.
     */
    record Run(String scenario, String impl, int round, double throughput, String unit, double cpuSeconds,
               long messages, double p50, double p99, double p999, long rssBytes, double bytesPerIdle,
               long errors, String note, double otherCpuPercent, double wrkThroughput, double wrkP99,
               double wrkCpuPerUnit, long listenOverflows, long connectsRetried) {

        /** A run that measured no storm figures. */
        Run(String scenario, String impl, int round, double throughput, String unit, double cpuSeconds,
            long messages, double p50, double p99, double p999, long rssBytes, double bytesPerIdle,
            long errors, String note, double otherCpuPercent, double wrkThroughput, double wrkP99,
            double wrkCpuPerUnit) {
            this(scenario, impl, round, throughput, unit, cpuSeconds, messages, p50, p99, p999, rssBytes, bytesPerIdle,
                    errors, note, otherCpuPercent, wrkThroughput, wrkP99, wrkCpuPerUnit, -1, -1);
        }

        /** A run that measured neither wrk's CPU nor storm figures (startup). */
        Run(String scenario, String impl, int round, double throughput, String unit, double cpuSeconds,
            long messages, double p50, double p99, double p999, long rssBytes, double bytesPerIdle,
            long errors, String note, double otherCpuPercent, double wrkThroughput, double wrkP99) {
            this(scenario, impl, round, throughput, unit, cpuSeconds, messages, p50, p99, p999, rssBytes, bytesPerIdle,
                    errors, note, otherCpuPercent, wrkThroughput, wrkP99, Double.NaN);
        }

        double cpuPerUnit(Scenario s) {
            if (messages <= 0) return Double.NaN;
            if (s.mode().equals("startup")) return cpuSeconds;
            return s.mode().equals("bulk") ? cpuSeconds / (messages / (double) (1L << 30)) : cpuSeconds / messages * 1e6;
        }
    }

    public static void main(String[] argv) throws Exception {
        Args a = new Args(argv);
        if (a.flag("list")) {
            for (Scenario s : Scenario.ALL.values()) System.out.printf("%-14s %s%n", s.name(), s.what());
            return;
        }
        List<String> names = a.positional().isEmpty() ? DEFAULT_SCENARIOS : a.positional();
        List<Scenario> scenarios = new ArrayList<>();
        for (String n : names) {
            Scenario s = Scenario.ALL.get(n);
            if (s == null) {
                System.err.println("bench compare: unknown scenario '" + n + "'; known: " + String.join(", ", Scenario.ALL.keySet()));
                System.exit(2);
            }
            scenarios.add(s);
        }
        List<String> impls = Arrays.asList(a.get("impls", String.join(",", Servers.IMPLS)).split(","));
        for (String i : impls) {
            if (!Servers.IMPLS.contains(i)) {
                System.err.println("bench compare: unknown implementation '" + i + "'; known: " + Servers.IMPLS);
                System.exit(2);
            }
        }
        int rounds = (int) a.number("rounds", 3);
        int loops = (int) a.number("loops", 1);
        double warmup = a.decimal("warmup", 1.0);
        double duration = a.decimal("duration", 1.5);
        boolean pin = Servers.canPin() && !a.flag("no-pin");
        // wrk, where installed, measures every HTTP closed-loop run a second time as a cross-check.
        boolean wrk = Wrk.available() && !a.flag("no-wrk");
        Compare c = new Compare(scenarios, impls, rounds, loops, warmup, duration, pin, wrk);
        c.resultsDir = Results.dir(a, Path.of(Servers.home()));
        c.quietThreshold = a.decimal("quiet", Double.POSITIVE_INFINITY);
        c.retries = (int) a.number("retries", 2);
        c.run();
    }

    private final List<Scenario> scenarios;
    private final List<String> impls;
    private final int rounds;
    private final int loops;
    private final double warmup;
    private final double duration;
    private final boolean pin;
    private final boolean wrk;
    /** Runs with more foreign CPU than this (percent) are repeated; infinite = never. */
    private double quietThreshold = Double.POSITIVE_INFINITY;
    private int retries = 2;
    private Path resultsDir = Results.dir(new Args(new String[0]), Path.of(Servers.home()));
    private final Map<String, String> skipped = new LinkedHashMap<>();
    private final Map<String, List<String>> warnings = new LinkedHashMap<>();
    private final List<Run> runs = new ArrayList<>();

    Compare(List<Scenario> scenarios, List<String> impls, int rounds, int loops, double warmup, double duration, boolean pin,
            boolean wrk) {
        this.scenarios = scenarios;
        this.impls = impls;
        this.rounds = rounds;
        this.loops = loops;
        this.warmup = warmup;
        this.duration = duration;
        this.pin = pin;
        this.wrk = wrk;
    }

    private static void progress(String s) {
        System.err.println(s);
        System.err.flush();
    }

    void run() throws IOException {
        long t0 = System.nanoTime();
        progress(String.format(Locale.ROOT, "compare: %d scenario(s) x %d implementation(s) x %d round(s), %s loop(s), warmup %.1fs, window %.1fs, %s",
                scenarios.size(), impls.size(), rounds, loops, warmup, duration,
                pin ? "server on CPU 0, load on CPU 1" : "NOT pinned (needs taskset and 2 CPUs)")
                + (wrk ? ", wrk cross-checks HTTP" : ""));
        checkFdLimit();
        // 1. correctness gate
        List<String> protos = scenarios.stream().map(Scenario::proto).distinct().toList();
        for (String impl : impls) {
            for (String proto : protos) {
                String key = impl + "/" + proto;
                if (proto.equals("tls-echo") && !Servers.TLS_IMPLS.contains(impl)) {
                    skipped.put(key, "no TLS server (TLS runs on " + String.join(", ", Servers.TLS_IMPLS) + ")");
                    progress("check " + key + ": skipped, no TLS server");
                    continue;
                }
                Servers.Running srv;
                try {
                    srv = Servers.start(impl, proto, loops, pin);
                } catch (Servers.Unavailable e) {
                    skipped.put(key, e.getMessage());
                    progress("check " + key + ": skipped, " + e.getMessage());
                    continue;
                } catch (IOException e) {
                    skipped.put(key, e.getMessage());
                    progress("check " + key + ": FAILED to start: " + e.getMessage());
                    continue;
                }
                Check.Outcome o;
                try {
                    o = Check.run(srv.port(), proto);
                } finally {
                    String note = srv.stop();
                    if (note != null) warnings.computeIfAbsent(key, k -> new ArrayList<>()).add(note);
                }
                if (!o.warnings().isEmpty()) warnings.computeIfAbsent(key, k -> new ArrayList<>()).addAll(o.warnings());
                if (o.passed()) {
                    progress("check " + key + ": ok" + (o.warnings().isEmpty() ? "" : " (warnings: " + String.join("; ", o.warnings()) + ")"));
                } else {
                    skipped.put(key, String.join("; ", o.failures()));
                    progress("check " + key + ": FAILED, not timed: " + String.join("; ", o.failures()));
                }
            }
        }
        // 2. interleaved rounds
        int total = 0;
        for (Scenario s : scenarios) for (String impl : impls) if (!skipped.containsKey(impl + "/" + s.proto())) total++;
        total *= rounds;
        int done = 0;
        for (int round = 1; round <= rounds; round++) {
            for (Scenario s : scenarios) {
                List<String> order = new ArrayList<>(impls);
                java.util.Collections.rotate(order, -(round - 1));
                for (String impl : order) {
                    if (skipped.containsKey(impl + "/" + s.proto())) continue;
                    done++;
                    Run r = s.mode().equals("startup") ? Startup.measure(s, impl, round, loops, pin) : measure(s, impl, round);
                    // A run disturbed by other work is repeated (bounded), keeping the least disturbed.
                    for (int retry = 0; retry < retries && r.otherCpuPercent() > quietThreshold; retry++) {
                        progress(String.format(Locale.ROOT, "        %s %s: other CPU %s%% > %s%%, running again", s.name(), impl,
                                fmt(r.otherCpuPercent()), fmt(quietThreshold)));
                        Run again = s.mode().equals("startup") ? Startup.measure(s, impl, round, loops, pin) : measure(s, impl, round);
                        if (!(again.otherCpuPercent() >= r.otherCpuPercent())) r = again;
                    }
                    runs.add(r);
                    progress(String.format(Locale.ROOT, "[%d/%d] round %d %-13s %-8s %12s %s  p99 %s us  other CPU %s%%%s", done, total, round,
                            s.name(), impl, fmt(r.throughput()), r.unit(), fmt(r.p99()), fmt(r.otherCpuPercent()),
                            r.errors() > 0 || r.note() != null ? "  (" + r.errors() + " errors" + (r.note() != null ? ", " + r.note() : "") + ")" : ""));
                }
            }
        }
        // 3. report
        String table = Report.table(scenarios, impls, runs, skipped, warnings);
        System.out.println(table);
        Path dir = resultsDir;
        Files.createDirectories(dir);
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path csv = dir.resolve(stamp + ".csv");
        Files.writeString(csv, Report.csv(scenarios, runs, loops, pin), StandardCharsets.UTF_8);
        Path svg = dir.resolve(stamp + ".svg");
        Files.writeString(svg, Report.svg(scenarios, impls, runs, stamp), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve(stamp + ".txt"), table + "\n", StandardCharsets.UTF_8);
        progress(String.format(Locale.ROOT, "compare: wrote %s, %s and .txt in %.0f s%s", csv, svg.getFileName(),
                (System.nanoTime() - t0) / 1e9, Results.hint(dir, Path.of(Servers.home()))));
    }

    private void checkFdLimit() {
        int needed = 0;
        for (Scenario s : scenarios) needed = Math.max(needed, s.idle() + s.conns() + 256);
        String lim = System.getenv("BENCH_FD_LIMIT");
        long limit = -1;
        try {
            if (lim != null) limit = Long.parseLong(lim.trim());
        } catch (NumberFormatException ignored) {
            // Unknown: not checked.
        }
        if (limit > 0 && limit < needed) {
            progress("compare: WARNING: open-file limit " + limit + " is below the " + needed
                    + " descriptors a scenario needs; raise the hard limit (ulimit -Hn) or expect connect errors");
        }
    }

    private Run measure(Scenario s, String impl, int round) {
        Servers.Running srv;
        try {
            srv = Servers.start(impl, s.proto(), loops, pin, List.of(), s.serverArgs(), 30);
        } catch (IOException e) {
            return new Run(s.name(), impl, round, 0, "-", Double.NaN, 0, 0, 0, 0, -1, Double.NaN, 1, e.getMessage(),
                    Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }
        long pid = srv.pid();
        long rssBase = Servers.rssBytes(pid);
        int fdBase = Servers.fdCount(pid);
        double[] cpu = new double[2];
        double[] machine = new double[2];
        double[] self = new double[2];
        long[] wall = new long[2];
        long[] rss = {-1, -1};
        long[] overflows = {-1, -1};
        long[] retried = {-1};
        LoadGen.Config cfg = new LoadGen.Config("127.0.0.1", srv.port(), s.proto(), s.mode(), s.conns(), s.idle(),
                Math.max(1, s.size()), s.depth(), s.rate(), Math.max(warmup, s.minWarmup()), duration, s.bytes());
        String note = null;
        LoadGen.Result res;
        LoadGen.Result wrkResult = null;
        double[] wrkCpu = {Double.NaN};
        String wrkNote = null;
        try {
            LoadGen.Hooks hooks = new LoadGen.Hooks() {
                @Override
                public void idleOpened(int count) {
                    // Wait until the server holds them all, then take its RSS.
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                    while (Servers.fdCount(pid) < fdBase + count && System.nanoTime() < deadline) {
                        try {
                            Thread.sleep(20);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return;
                        }
                    }
                    rss[0] = Servers.rssBytes(pid);
                }

                @Override
                public void measureStart() {
                    cpu[0] = Servers.cpuSeconds(pid);
                    overflows[0] = Servers.listenOverflows();
                    machine[0] = Servers.busySeconds();
                    self[0] = Servers.cpuSeconds(ProcessHandle.current().pid());
                    wall[0] = System.nanoTime();
                }

                @Override
                public void connectsRetried(long count) {
                    retried[0] = count;
                }

                @Override
                public void measureEnd() {
                    cpu[1] = Servers.cpuSeconds(pid);
                    overflows[1] = Servers.listenOverflows();
                    machine[1] = Servers.busySeconds();
                    self[1] = Servers.cpuSeconds(ProcessHandle.current().pid());
                    wall[1] = System.nanoTime();
                    rss[1] = Servers.rssBytes(pid);
                }
            };
            res = s.proto().equals("tls-echo") ? new TlsLoad(cfg, hooks).run() : new LoadGen(cfg, hooks).run();
            if (wrk && round == 1 && s.proto().equals("http") && s.mode().equals("closed")) {
                // Same server, already warm: a second opinion from an independent generator, with
                // the server's CPU per request of its own. The main generator's connections have
                // just closed, which deoptimises a JVM server's hot loop: a first wrk second,
                // not counted, takes the recompilation (C2 runs on the server's pinned CPU).
                try {
                    Wrk.run(cfg, 1, Servers.home(), pin ? 1 : -1);
                    double before = Servers.cpuSeconds(pid);
                    wrkResult = Wrk.run(cfg, Math.max(2, duration), Servers.home(), pin ? 1 : -1);
                    wrkCpu[0] = Servers.cpuSeconds(pid) - before;
                } catch (IOException e) {
                    wrkNote = "wrk: " + e.getMessage();
                }
            }
        } catch (IOException | RuntimeException e) {
            note = "load failed: " + e.getMessage();
            res = null;
        } finally {
            String stop = srv.stop();
            if (stop != null) warnings.computeIfAbsent(impl + "/" + s.proto(), k -> new ArrayList<>()).add(stop);
        }
        if (res == null) {
            return new Run(s.name(), impl, round, 0, "-", Double.NaN, 0, 0, 0, 0, -1, Double.NaN, 1, note, Double.NaN, Double.NaN, Double.NaN,
                    Double.NaN);
        }
        double perIdle = s.idle() > 0 && rss[0] > 0 ? (rss[0] - rssBase) / (double) s.idle() : Double.NaN;
        if (res.firstError() != null) note = res.firstError();
        if (wrkResult != null && wrkResult.errors() > 0) wrkNote = "wrk counted " + wrkResult.errors() + " errors";
        if (wrkNote != null) note = note == null ? wrkNote : note + "; " + wrkNote;
        // Counted machine-wide by the kernel: another process's overflow in the window counts too.
        long listenOverflows = overflows[0] >= 0 && overflows[1] >= 0 ? overflows[1] - overflows[0] : -1;
        if (retried[0] > 0) {
            String o = retried[0] + " connect(s) retried after a dropped SYN";
            note = note == null ? o : note + "; " + o;
        }
        if (listenOverflows > 0) {
            String o = listenOverflows + " listen-queue overflow(s) machine-wide";
            note = note == null ? o : note + "; " + o;
        }
        double other = otherCpuPercent(machine[1] - machine[0], cpu[1] - cpu[0], self[1] - self[0],
                (wall[1] - wall[0]) / 1e9, Servers.cpuCount());
        return new Run(s.name(), impl, round, res.throughput(), res.unit(), cpu[1] - cpu[0], res.messages(),
                res.p50us(), res.p99us(), res.p999us(), rss[1], perIdle, res.errors(), note, other,
                wrkResult == null ? Double.NaN : wrkResult.throughput(), wrkResult == null ? Double.NaN : wrkResult.p99us(),
                wrkResult == null || wrkResult.messages() <= 0 ? Double.NaN : wrkCpu[0] / wrkResult.messages() * 1e6,
                listenOverflows, retried[0]);
    }

    /**
     * CPU used on the machine in a window by anything but the server and this process (the load
     * generator), as a percentage of all CPUs: the noise that other work put into a run. Arguments
     * are CPU-seconds over the window (machine: all CPUs' busy time from /proc/stat), the window's
     * length in seconds and the number of CPUs; NaN when the window is empty.
     */
    static double otherCpuPercent(double machineBusy, double server, double loadGenerator, double windowSecs, int cpus) {
        if (!(windowSecs > 0) || cpus <= 0) return Double.NaN;
        double other = (machineBusy - server - loadGenerator) / (windowSecs * cpus);
        return Math.max(0, other) * 100;
    }

    static String fmt(double v) {
        if (Double.isNaN(v)) return "-";
        if (v >= 100) return String.format(Locale.ROOT, "%,.0f", v);
        if (v >= 10) return String.format(Locale.ROOT, "%.1f", v);
        return String.format(Locale.ROOT, "%.2f", v);
    }
}
