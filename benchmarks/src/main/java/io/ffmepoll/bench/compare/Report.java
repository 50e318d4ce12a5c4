package io.ffmepoll.bench.compare;

import io.ffmepoll.bench.common.Svg;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/** Medians, the printed table, the CSV and the SVG chart of a comparison. */
final class Report {

    private Report() {
    }

    /** Median of one metric over the rounds of (scenario, impl); NaN values are left out. */
    static double median(List<Compare.Run> runs, String scenario, String impl, ToDoubleFunction<Compare.Run> metric) {
        double[] v = runs.stream().filter(r -> r.scenario().equals(scenario) && r.impl().equals(impl))
                .mapToDouble(metric).filter(d -> !Double.isNaN(d)).sorted().toArray();
        if (v.length == 0) return Double.NaN;
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static boolean measured(List<Compare.Run> runs, String scenario, String impl) {
        return runs.stream().anyMatch(r -> r.scenario().equals(scenario) && r.impl().equals(impl) && r.messages() > 0);
    }

    private static String unit(List<Compare.Run> runs, String scenario) {
        return runs.stream().filter(r -> r.scenario().equals(scenario) && !r.unit().equals("-"))
                .map(Compare.Run::unit).findFirst().orElse("");
    }

    static String table(List<Scenario> scenarios, List<String> impls, List<Compare.Run> runs,
                        Map<String, String> skipped, Map<String, List<String>> warnings) {
        StringBuilder b = new StringBuilder();
        b.append("machine: ").append(Machine.current().describe()).append('\n');
        String head = String.format(Locale.ROOT, "%-13s %-12s %14s %6s %-7s %11s %8s %9s %9s %8s %9s %6s %7s %11s %8s",
                "scenario", "impl", "throughput", "spread", "unit", "cpu-s/unit", "p50 us", "p99 us", "p99.9 us", "RSS MiB", "B/idle",
                "errors", "other%", "wrk msg/s", "wrk cpu");
        b.append(head).append('\n').append("-".repeat(head.length())).append('\n');
        for (Scenario s : scenarios) {
            if (s.mode().equals("startup")) {
                b.append(Startup.table(s, impls, runs, skipped));
                continue;
            }
            String unit = unit(runs, s.name());
            for (String impl : impls) {
                String skip = skipped.get(impl + "/" + s.proto());
                if (skip != null) {
                    b.append(String.format(Locale.ROOT, "%-13s %-12s not measured: %s%n", s.name(), impl, shorten(skip, 200)));
                    continue;
                }
                if (!measured(runs, s.name(), impl)) {
                    String note = runs.stream().filter(r -> r.scenario().equals(s.name()) && r.impl().equals(impl))
                            .map(Compare.Run::note).filter(n -> n != null).findFirst().orElse("no successful run");
                    b.append(String.format(Locale.ROOT, "%-13s %-12s failed: %s%n", s.name(), impl, shorten(note, 90)));
                    continue;
                }
                b.append(String.format(Locale.ROOT, "%-13s %-12s %14s %6s %-7s %11s %8s %9s %9s %8s %9s %6s %7s %11s %8s%s%n",
                        s.name(), impl,
                        Compare.fmt(median(runs, s.name(), impl, Compare.Run::throughput)),
                        spread(runs, s.name(), impl), unit,
                        Compare.fmt(median(runs, s.name(), impl, r -> r.cpuPerUnit(s))),
                        s.mode().equals("bulk") ? "-" : Compare.fmt(median(runs, s.name(), impl, Compare.Run::p50)),
                        s.mode().equals("bulk") ? "-" : Compare.fmt(median(runs, s.name(), impl, Compare.Run::p99)),
                        s.mode().equals("bulk") ? "-" : Compare.fmt(median(runs, s.name(), impl, Compare.Run::p999)),
                        Compare.fmt(median(runs, s.name(), impl, r -> r.rssBytes() < 0 ? Double.NaN : r.rssBytes() / 1048576.0)),
                        Compare.fmt(median(runs, s.name(), impl, Compare.Run::bytesPerIdle)),
                        Long.toString(runs.stream().filter(r -> r.scenario().equals(s.name()) && r.impl().equals(impl))
                                .mapToLong(Compare.Run::errors).sum()),
                        Compare.fmt(median(runs, s.name(), impl, Compare.Run::otherCpuPercent)),
                        Compare.fmt(median(runs, s.name(), impl, Compare.Run::wrkThroughput)),
                        Compare.fmt(median(runs, s.name(), impl, Compare.Run::wrkCpuPerUnit)),
                        disturbance(runs, s.name(), impl) == null ? "" : "  !"));
            }
            for (String impl : impls) {
                String d = disturbance(runs, s.name(), impl);
                if (d != null) b.append("  WARNING: ").append(OTHER_CPU_WARNING).append(" in ").append(d.replace(" rounds", " rounds of " + impl))
                        .append(": the row marked ! is disturbed (rerun on a quiet machine, or with --quiet 10)\n");
            }
            b.append("  cpu-s/unit is ").append(s.cpuUnit()).append(" of server CPU (user+system); spread is ±half the")
                    .append(" range of the rounds; other% is CPU taken by other processes during the window\n");
            b.append(ratios(runs, s));
            if (s.mode().equals("storm")) b.append(storm(runs, s, impls));
            b.append('\n');
        }
        if (!warnings.isEmpty()) {
            b.append("warnings:\n");
            warnings.forEach((k, v) -> b.append("  ").append(k).append(": ").append(String.join("; ", v)).append('\n'));
        }
        return b.toString();
    }

    /** Other processes' share of all CPUs (percent) above which a run is flagged as disturbed. */
    static final double OTHER_CPU_LIMIT = 10;
    static final String OTHER_CPU_WARNING = "other processes took more than 10% of the CPU";

    /** Whether other processes took more than {@link #OTHER_CPU_LIMIT} of the CPU during the run's window. */
    static boolean disturbed(Compare.Run r) {
        return r.otherCpuPercent() > OTHER_CPU_LIMIT;
    }

    /** "1 of 3 rounds (up to 25%)" when a round of (scenario, impl) was disturbed, else null. */
    static String disturbance(List<Compare.Run> runs, String scenario, String impl) {
        List<Compare.Run> mine = runs.stream().filter(r -> r.scenario().equals(scenario) && r.impl().equals(impl)).toList();
        List<Compare.Run> hit = mine.stream().filter(Report::disturbed).toList();
        if (hit.isEmpty()) return null;
        double worst = hit.stream().mapToDouble(Compare.Run::otherCpuPercent).max().orElse(Double.NaN);
        return String.format(Locale.ROOT, "%d of %d rounds (up to %.0f%%)", hit.size(), mine.size(), worst);
    }

    /** (max - min) / median of the throughput over the rounds, in percent. */
    private static String spread(List<Compare.Run> runs, String scenario, String impl) {
        long rounds = runs.stream().filter(r -> r.scenario().equals(scenario) && r.impl().equals(impl) && r.messages() > 0).count();
        if (rounds < 2) return "-";
        double[] v = range(runs, scenario, impl);
        double m = median(runs, scenario, impl, Compare.Run::throughput);
        return String.format(Locale.ROOT, "±%.0f%%", (v[1] - v[0]) / m * 50);
    }

    /** Each implementation whose ratios are printed, and what it is compared with. */
    private static final Map<String, List<String>> RATIOS = Map.of(
            "ffm", List.of("nio", "netty", "netty-uring", "c"),
            "ffm-vthreads", List.of("vthreads"));

    private static String ratios(List<Compare.Run> runs, Scenario s) {
        StringBuilder b = new StringBuilder();
        for (String mine : List.of("ffm", "ffm-vthreads")) {
            if (!measured(runs, s.name(), mine)) continue;
            for (String other : RATIOS.get(mine)) {
                if (!measured(runs, s.name(), other)) continue;
                double t = median(runs, s.name(), mine, Compare.Run::throughput) / median(runs, s.name(), other, Compare.Run::throughput);
                double c = median(runs, s.name(), mine, r -> r.cpuPerUnit(s)) / median(runs, s.name(), other, r -> r.cpuPerUnit(s));
                double l = median(runs, s.name(), mine, Compare.Run::p99) / median(runs, s.name(), other, Compare.Run::p99);
                double w = median(runs, s.name(), mine, Compare.Run::wrkCpuPerUnit) / median(runs, s.name(), other, Compare.Run::wrkCpuPerUnit);
                b.append(String.format(Locale.ROOT, "  %s/%-8s throughput %.2fx  cpu per unit %.2fx (units per cpu-s %.2fx)%s%s%n",
                        mine, other, t, c, 1 / c,
                        s.mode().equals("bulk") ? "" : String.format(Locale.ROOT, "  p99 %.2fx", l),
                        Double.isNaN(w) ? "" : String.format(Locale.ROOT, "  with wrk: units per cpu-s %.2fx", 1 / w)));
            }
        }
        return b.length() == 0 ? "  ratios: ffm not measured\n" : b.toString();
    }

    /** For a storm: each implementation's time, server CPU and listen-queue overflows. */
    private static String storm(List<Compare.Run> runs, Scenario s, List<String> impls) {
        StringBuilder b = new StringBuilder("  storm (medians; summed over the rounds: connects that took >= 1 s, i.e. lost their SYN,"
                + " and the kernel's listen-queue overflows, counted machine-wide so other processes' count too):\n");
        ToDoubleFunction<Compare.Run> seconds = r -> r.throughput() > 0 ? r.messages() / r.throughput() : Double.NaN;
        for (String impl : impls) {
            if (!measured(runs, s.name(), impl)) continue;
            long overflows = runs.stream().filter(r -> r.scenario().equals(s.name()) && r.impl().equals(impl))
                    .mapToLong(Compare.Run::listenOverflows).filter(o -> o >= 0).sum();
            long retried = runs.stream().filter(r -> r.scenario().equals(s.name()) && r.impl().equals(impl))
                    .mapToLong(Compare.Run::connectsRetried).filter(o -> o >= 0).sum();
            b.append(String.format(Locale.ROOT, "    %-13s %7.2f s  server CPU %6.2f s  SYNs lost %d  listen overflows %d%n", impl,
                    median(runs, s.name(), impl, seconds), median(runs, s.name(), impl, Compare.Run::cpuSeconds), retried, overflows));
        }
        if (measured(runs, s.name(), "ffm") && measured(runs, s.name(), "nio")) {
            b.append(String.format(Locale.ROOT, "    ffm/nio time %.2fx%n",
                    median(runs, s.name(), "ffm", seconds) / median(runs, s.name(), "nio", seconds)));
        }
        return b.toString();
    }

    private static String shorten(String s, int max) {
        s = s.replace('\n', ' ');
        return s.length() <= max ? s : s.substring(0, max - 3) + "...";
    }

    static String csv(List<Scenario> scenarios, List<Compare.Run> runs, int loops, boolean pinned) {
        StringBuilder b = new StringBuilder(
                "scenario,impl,round,loops,pinned,throughput,unit,server_cpu_s,messages,cpu_s_per_unit,cpu_unit,p50_us,p99_us,p999_us,rss_bytes,bytes_per_idle_conn,errors,other_cpu_percent,other_cpu_warning,wrk_throughput,wrk_p99_us,wrk_cpu_s_per_unit,note\n");
        for (Compare.Run r : runs) {
            Scenario s = scenarios.stream().filter(x -> x.name().equals(r.scenario())).findFirst().orElseThrow();
            b.append(String.join(",", r.scenario(), r.impl(), Integer.toString(r.round()), Integer.toString(loops),
                    Boolean.toString(pinned), num(r.throughput()), r.unit(), num(r.cpuSeconds()), Long.toString(r.messages()),
                    num(r.cpuPerUnit(s)), s.cpuUnit(), num(r.p50()), num(r.p99()), num(r.p999()),
                    Long.toString(r.rssBytes()), num(r.bytesPerIdle()), Long.toString(r.errors()),
                    num(r.otherCpuPercent()), Boolean.toString(disturbed(r)), num(r.wrkThroughput()), num(r.wrkP99()), num(r.wrkCpuPerUnit()),
                    r.note() == null ? "" : '"' + r.note().replace('"', '\'') + '"')).append('\n');
        }
        return b.toString();
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.3f", v);
    }

    private static final Map<String, String> COLOURS = Map.of(
            "ffm", "#d9480f", "nio", "#1971c2", "netty", "#2f9e44", "netty-uring", "#94d82d", "vthreads", "#9c36b5", "ffm-vthreads", "#e64980",
            "c", "#495057");

    /**
     * One panel per scenario, a bar per implementation: median throughput, a whisker over the
     * rounds' range, median CPU per unit and p99 beside it; the machine under the title, and a
     * red line under the panel for each implementation whose rounds other processes disturbed.
     */
    static String svg(List<Scenario> scenarios, List<String> impls, List<Compare.Run> runs, String stamp) {
        int width = 1000;
        int label = 110;
        int barArea = 400;
        int rowH = 22;
        int warnH = 16;
        int height = 58;
        for (Scenario s : scenarios) height += panelHeight(s, impls, runs, rowH, warnH);
        Svg svg = new Svg(width, height);
        svg.text(10, 22, "font-size=\"15\" font-weight=\"bold\"",
                "ffm-epoll " + stamp + ": median throughput (bars, whisker: min–max of the rounds) · server CPU per unit · p99");
        int rounds = (int) runs.stream().mapToInt(Compare.Run::round).max().orElse(0);
        svg.text(10, 40, "fill=\"#444\"", Machine.current().describe() + " · " + rounds + (rounds == 1 ? " round" : " rounds"));
        int y = 58;
        for (Scenario s : scenarios) {
            String unit = unit(runs, s.name());
            svg.text(10, y + 16, "font-weight=\"bold\"", s.name());
            svg.text(label + 60, y + 16, "fill=\"#666\"", unit + " — " + s.what());
            double max = 0;
            for (String impl : impls) {
                double[] range = range(runs, s.name(), impl);
                if (range != null) max = Math.max(max, range[1]);
            }
            int ry = y + 28;
            for (String impl : impls) {
                double t = measured(runs, s.name(), impl) ? median(runs, s.name(), impl, Compare.Run::throughput) : Double.NaN;
                svg.text(label - 6, ry + 14, "text-anchor=\"end\"", impl);
                if (Double.isNaN(t) || max <= 0) {
                    svg.text(label, ry + 14, "fill=\"#999\"", "not measured");
                } else {
                    int w = (int) Math.max(1, Math.round(barArea * t / max));
                    double p99 = median(runs, s.name(), impl, Compare.Run::p99);
                    double cpu = median(runs, s.name(), impl, r -> r.cpuPerUnit(s));
                    double[] range = range(runs, s.name(), impl);
                    svg.rect(label, ry + 2, w, rowH - 6, COLOURS.getOrDefault(impl, "#868e96"));
                    String spread = "";
                    if (range[1] > range[0]) {
                        double x0 = label + barArea * range[0] / max;
                        double x1 = label + barArea * range[1] / max;
                        double mid = ry + 2 + (rowH - 6) / 2.0;
                        svg.line(x0, mid, x1, mid, "#212529", 1.5, "");
                        svg.line(x0, mid - 4, x0, mid + 4, "#212529", 1.5, "");
                        svg.line(x1, mid - 4, x1, mid + 4, "#212529", 1.5, "");
                        spread = " · rounds " + Compare.fmt(range[0]) + "–" + Compare.fmt(range[1]);
                    }
                    double right = label + Math.max(w, barArea * range[1] / max);
                    svg.text(right + 6, ry + 14, disturbance(runs, s.name(), impl) == null ? "" : "fill=\"#c92a2a\"",
                            Compare.fmt(t) + " · " + Compare.fmt(cpu) + " " + s.cpuUnit()
                            + (s.mode().equals("bulk") ? "" : " · p99 " + Compare.fmt(p99) + " µs") + spread);
                }
                ry += rowH;
            }
            for (String impl : impls) {
                String d = disturbance(runs, s.name(), impl);
                if (d == null) continue;
                svg.text(label, ry + 12, "fill=\"#c92a2a\"", "⚠ " + impl + ": " + OTHER_CPU_WARNING + " in " + d);
                ry += warnH;
            }
            y += panelHeight(s, impls, runs, rowH, warnH);
        }
        return svg.end();
    }

    private static int panelHeight(Scenario s, List<String> impls, List<Compare.Run> runs, int rowH, int warnH) {
        int warned = (int) impls.stream().filter(i -> disturbance(runs, s.name(), i) != null).count();
        return 34 + rowH * impls.size() + warnH * warned + 10;
    }

    /** {min, max} of the throughput over the measured rounds of (scenario, impl), or null. */
    private static double[] range(List<Compare.Run> runs, String scenario, String impl) {
        double[] v = runs.stream().filter(r -> r.scenario().equals(scenario) && r.impl().equals(impl) && r.messages() > 0)
                .mapToDouble(Compare.Run::throughput).sorted().toArray();
        return v.length == 0 ? null : new double[] {v[0], v[v.length - 1]};
    }
}
