package io.ffmepoll.bench.compare;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The {@code startup} scenario: a fresh echo server per run, measured from its launch to its
 * {@code listening} line (wall milliseconds), the CPU it used by then ({@code utime+stime} from
 * /proc), the classes it had loaded by then, and its RSS once it has sat idle for
 * {@link #SETTLE_SECONDS}. Classes are counted from {@code -Xlog:class+load} written to a file (a
 * line per class, read when {@code listening} arrives): hidden classes (lambda forms, lambdas,
 * downcall stubs) and jdk.jfr's are counted apart. The log costs every JVM the same few
 * milliseconds; C has no classes.
 */
final class Startup {

    /** Idle time before the RSS is read: the JIT and the loop threads settle. */
    static final double SETTLE_SECONDS = 2;

    /** One run's class counts; the other figures are in its {@link Compare.Run}. */
    record Classes(String impl, int round, long loaded, long hidden, long jfr) {}

    private static final List<Classes> CLASSES = new ArrayList<>();

    private Startup() {
    }

    /** Launches {@code impl}'s echo server once and measures its start; stops it. */
    static Compare.Run measure(Scenario s, String impl, int round, int loops, boolean pin) {
        Path classLog = null;
        Process p = null;
        try {
            List<String> jvm = List.of();
            if (!impl.equals("c")) {
                Path logs = Path.of(Servers.home(), "target", "logs");
                Files.createDirectories(logs);
                classLog = logs.resolve("startup-" + impl + "-classes.log");
                Files.deleteIfExists(classLog);
                jvm = List.of("-Xlog:class+load=info:file=" + classLog + "::filecount=0");
            }
            List<String> cmd = Servers.command(impl, s.proto(), Servers.freePort(), loops, pin, jvm, s.serverArgs());
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD);
            long t0 = System.nanoTime();
            p = pb.start();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = out.readLine()) != null && !line.startsWith("listening")) {
                // Anything printed before is not the start's end.
            }
            double ms = (System.nanoTime() - t0) / 1e6;
            long pid = p.pid();
            double cpu = Servers.cpuSeconds(pid);
            if (line == null) {
                return failed(s, impl, round, impl + " exited before listening (status " + p.waitFor() + ")");
            }
            Classes c = classLog == null ? new Classes(impl, round, -1, -1, -1) : count(impl, round, classLog);
            double machine0 = Servers.busySeconds();
            long w0 = System.nanoTime();
            Thread.sleep((long) (SETTLE_SECONDS * 1000));
            long rss = Servers.rssBytes(pid);
            double window = (System.nanoTime() - w0) / 1e9;
            // The load generator's process does nothing meanwhile: its share is not subtracted.
            double other = Compare.otherCpuPercent(Servers.busySeconds() - machine0, Servers.cpuSeconds(pid) - cpu, 0,
                    window, Servers.cpuCount());
            synchronized (CLASSES) {
                CLASSES.add(c);
            }
            return new Compare.Run(s.name(), impl, round, ms, "ms", cpu, 1, Double.NaN, Double.NaN, Double.NaN, rss,
                    Double.NaN, 0, null, other, Double.NaN, Double.NaN);
        } catch (IOException | RuntimeException e) {
            return failed(s, impl, round, "start-up run failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failed(s, impl, round, "interrupted");
        } finally {
            if (p != null) {
                p.destroy();
                try {
                    if (!p.waitFor(5, TimeUnit.SECONDS)) p.destroyForcibly();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    p.destroyForcibly();
                }
            }
        }
    }

    private static Compare.Run failed(Scenario s, String impl, int round, String why) {
        return new Compare.Run(s.name(), impl, round, 0, "-", Double.NaN, 0, 0, 0, 0, -1, Double.NaN, 1, why,
                Double.NaN, Double.NaN, Double.NaN);
    }

    /** The classes the log names so far: all, hidden ones, jdk.jfr's. */
    static Classes count(String impl, int round, Path classLog) throws IOException {
        long all = 0, hidden = 0, jfr = 0;
        try (Stream<String> lines = Files.lines(classLog, StandardCharsets.UTF_8)) {
            for (String l : (Iterable<String>) lines::iterator) {
                int at = l.indexOf("[class,load] ");
                if (at < 0) continue;
                String name = l.substring(at + "[class,load] ".length());
                all++;
                int space = name.indexOf(' ');
                String cls = space < 0 ? name : name.substring(0, space);
                if (cls.contains("/0x")) hidden++;
                if (cls.startsWith("jdk.jfr.")) jfr++;
            }
        }
        return new Classes(impl, round, all, hidden, jfr);
    }

    /** The scenario's table: medians over the rounds, and ffm against nio. */
    static String table(Scenario s, List<String> impls, List<Compare.Run> runs, Map<String, String> skipped) {
        StringBuilder b = new StringBuilder();
        StringBuilder warned = new StringBuilder();
        for (String impl : impls) {
            String skip = skipped.get(impl + "/" + s.proto());
            if (skip != null) {
                b.append(String.format(Locale.ROOT, "%-13s %-12s not measured: %s%n", s.name(), impl, skip));
                continue;
            }
            List<Compare.Run> mine = runs.stream().filter(r -> r.scenario().equals(s.name()) && r.impl().equals(impl)).toList();
            if (mine.stream().noneMatch(r -> r.messages() > 0)) {
                String note = mine.stream().map(Compare.Run::note).filter(n -> n != null).findFirst().orElse("no successful run");
                b.append(String.format(Locale.ROOT, "%-13s %-12s failed: %s%n", s.name(), impl, note));
                continue;
            }
            b.append(String.format(Locale.ROOT, "%-13s %-12s %14s %-7s %11s %8s %8s %8s %9s %6s%s%n", s.name(), impl,
                    Compare.fmt(Report.median(runs, s.name(), impl, Compare.Run::throughput)), "ms",
                    Compare.fmt(Report.median(runs, s.name(), impl, Compare.Run::cpuSeconds)),
                    classes(impl, Classes::loaded), classes(impl, Classes::hidden), classes(impl, Classes::jfr),
                    Compare.fmt(Report.median(runs, s.name(), impl, r -> r.rssBytes() < 0 ? Double.NaN : r.rssBytes() / 1048576.0)),
                    Compare.fmt(Report.median(runs, s.name(), impl, Compare.Run::otherCpuPercent)),
                    Report.disturbance(runs, s.name(), impl) == null ? "" : "  !"));
            String d = Report.disturbance(runs, s.name(), impl);
            if (d != null) warned.append("  WARNING: ").append(Report.OTHER_CPU_WARNING).append(" in ")
                    .append(d.replace(" rounds", " rounds of " + impl)).append(" (row marked !): CPU, classes and RSS hold,"
                            + " the ms do not\n");
        }
        String head = String.format(Locale.ROOT, "%-13s %-12s %14s %-7s %11s %8s %8s %8s %9s %6s%n", "scenario", "impl",
                "to listening", "unit", "cpu-s then", "classes", "hidden", "jdk.jfr", "idle RSS", "other%");
        StringBuilder all = new StringBuilder(head).append(b).append(warned);
        all.append(String.format(Locale.ROOT, "  launch to the 'listening' line; CPU (user+system) used by then; classes loaded by"
                + " then (-Xlog:class+load); RSS MiB after %.0f s idle; medians of the rounds%n", SETTLE_SECONDS));
        for (String other : List.of("nio", "netty")) {   // C has no JVM start to compare with
            double ms = ratio(runs, s, other, Compare.Run::throughput);
            if (Double.isNaN(ms)) continue;
            all.append(String.format(Locale.ROOT, "  ffm/%-8s to listening %.2fx  cpu %.2fx  idle RSS %.2fx%n", other, ms,
                    ratio(runs, s, other, Compare.Run::cpuSeconds),
                    ratio(runs, s, other, r -> r.rssBytes() < 0 ? Double.NaN : r.rssBytes())));
        }
        return all.append('\n').toString();
    }

    private static double ratio(List<Compare.Run> runs, Scenario s, String other,
                                java.util.function.ToDoubleFunction<Compare.Run> metric) {
        return Report.median(runs, s.name(), "ffm", metric) / Report.median(runs, s.name(), other, metric);
    }

    /** Median of one class count over the rounds of {@code impl}; "-" for C. */
    private static String classes(String impl, java.util.function.ToLongFunction<Classes> metric) {
        long[] v;
        synchronized (CLASSES) {
            v = CLASSES.stream().filter(c -> c.impl().equals(impl)).mapToLong(metric).filter(x -> x >= 0).sorted().toArray();
        }
        if (v.length == 0) return "-";
        long m = v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
        return String.format(Locale.ROOT, "%,d", m);
    }
}
