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
        String head = String.format(Locale.ROOT, "%-13s %-12s %14s %6s %-7s %11s %8s %9s %9s %8s %9s %6s %7s %11s",
                "scenario", "impl", "throughput", "spread", "unit", "cpu-s/unit", "p50 us", "p99 us", "p99.9 us", "RSS MiB", "B/idle",
                "errors", "other%", "wrk msg/s");
        b.append(head).append('\n').append("-".repeat(head.length())).append('\n');
        for (Scenario s : scenarios) {
            String unit = unit(runs, s.name());
            for (String impl : impls) {
                String skip = skipped.get(impl + "/" + s.proto());
                if (skip != null) {
                    b.append(String.format(Locale.ROOT, "%-13s %-12s not measured: %s%n", s.name(), impl, shorten(skip, 110)));
                    continue;
                }
                if (!measured(runs, s.name(), impl)) {
                    String note = runs.stream().filter(r -> r.scenario().equals(s.name()) && r.impl().equals(impl))
                            .map(Compare.Run::note).filter(n -> n != null).findFirst().orElse("no successful run");
                    b.append(String.format(Locale.ROOT, "%-13s %-12s failed: %s%n", s.name(), impl, shorten(note, 90)));
                    continue;
                }
                b.append(String.format(Locale.ROOT, "%-13s %-12s %14s %6s %-7s %11s %8s %9s %9s %8s %9s %6s %7s %11s%n",
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
                        Compare.fmt(median(runs, s.name(), impl, Compare.Run::wrkThroughput))));
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

    /** (max - min) / median of the throughput over the rounds, in percent. */
    private static String spread(List<Compare.Run> runs, String scenario, String impl) {
        double[] v = runs.stream().filter(r -> r.scenario().equals(scenario) && r.impl().equals(impl) && r.messages() > 0)
                .mapToDouble(Compare.Run::throughput).sorted().toArray();
        if (v.length < 2) return "-";
        double m = median(runs, scenario, impl, Compare.Run::throughput);
        return String.format(Locale.ROOT, "±%.0f%%", (v[v.length - 1] - v[0]) / m * 50);
    }

    /** Each implementation whose ratios are printed, and what it is compared with. */
    private static final Map<String, List<String>> RATIOS = Map.of(
            "ffm", List.of("nio", "netty", "c"),
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
                b.append(String.format(Locale.ROOT, "  %s/%-8s throughput %.2fx  cpu per unit %.2fx (units per cpu-s %.2fx)%s%n",
                        mine, other, t, c, 1 / c,
                        s.mode().equals("bulk") ? "" : String.format(Locale.ROOT, "  p99 %.2fx", l)));
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
                "scenario,impl,round,loops,pinned,throughput,unit,server_cpu_s,messages,cpu_s_per_unit,cpu_unit,p50_us,p99_us,p999_us,rss_bytes,bytes_per_idle_conn,errors,other_cpu_percent,wrk_throughput,wrk_p99_us,note\n");
        for (Compare.Run r : runs) {
            Scenario s = scenarios.stream().filter(x -> x.name().equals(r.scenario())).findFirst().orElseThrow();
            b.append(String.join(",", r.scenario(), r.impl(), Integer.toString(r.round()), Integer.toString(loops),
                    Boolean.toString(pinned), num(r.throughput()), r.unit(), num(r.cpuSeconds()), Long.toString(r.messages()),
                    num(r.cpuPerUnit(s)), s.cpuUnit(), num(r.p50()), num(r.p99()), num(r.p999()),
                    Long.toString(r.rssBytes()), num(r.bytesPerIdle()), Long.toString(r.errors()),
                    num(r.otherCpuPercent()), num(r.wrkThroughput()), num(r.wrkP99()),
                    r.note() == null ? "" : '"' + r.note().replace('"', '\'') + '"')).append('\n');
        }
        return b.toString();
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.3f", v);
    }

    private static final Map<String, String> COLOURS = Map.of(
            "ffm", "#d9480f", "nio", "#1971c2", "netty", "#2f9e44", "vthreads", "#9c36b5", "ffm-vthreads", "#e64980",
            "c", "#495057");

    /** One panel per scenario, a bar per implementation: median throughput, median p99 written beside it. */
    static String svg(List<Scenario> scenarios, List<String> impls, List<Compare.Run> runs, String stamp) {
        int width = 860;
        int label = 110;
        int barArea = 420;
        int rowH = 22;
        int panelH = 34 + rowH * impls.size() + 10;
        int height = 40 + panelH * scenarios.size();
        Svg svg = new Svg(width, height);
        svg.text(10, 22, "font-size=\"15\" font-weight=\"bold\"",
                "ffm-epoll " + stamp + ": median throughput (bars) · server CPU per unit · p99");
        int y = 40;
        for (Scenario s : scenarios) {
            String unit = unit(runs, s.name());
            svg.text(10, y + 16, "font-weight=\"bold\"", s.name());
            svg.text(label + 60, y + 16, "fill=\"#666\"", unit + " — " + s.what());
            double max = 0;
            for (String impl : impls) {
                double t = median(runs, s.name(), impl, Compare.Run::throughput);
                if (!Double.isNaN(t)) max = Math.max(max, t);
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
                    svg.rect(label, ry + 2, w, rowH - 6, COLOURS.getOrDefault(impl, "#868e96"));
                    svg.text(label + w + 6, ry + 14, "", Compare.fmt(t) + " · " + Compare.fmt(cpu) + " " + s.cpuUnit()
                            + (s.mode().equals("bulk") ? "" : " · p99 " + Compare.fmt(p99) + " µs"));
                }
                ry += rowH;
            }
            y += panelH;
        }
        return svg.end();
    }
}
