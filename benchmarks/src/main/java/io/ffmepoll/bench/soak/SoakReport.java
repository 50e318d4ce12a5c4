package io.ffmepoll.bench.soak;

import io.ffmepoll.bench.common.Svg;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** The printed table, the CSV and the SVG chart of a soak run. Stateless; thread-safe. */
final class SoakReport {

    private static final List<String> COLOURS = List.of("#d9480f", "#1971c2", "#2f9e44", "#9c36b5");

    private SoakReport() {
    }

    private static String mib(long bytes) {
        return bytes < 0 ? "-" : String.format(Locale.ROOT, "%.1f", bytes / Metric.MIB);
    }

    private static String n(long v) {
        return v < 0 ? "-" : String.format(Locale.ROOT, "%,d", v);
    }

    /** One progress line: fds, threads and RSS of each server. */
    static String brief(List<Sample> got) {
        StringBuilder b = new StringBuilder();
        for (Sample s : got) {
            b.append(String.format(Locale.ROOT, "%s fd %d th %d rss %s | ", s.server(), s.fds(), s.threads(), mib(s.rss())));
        }
        return b.substring(0, Math.max(0, b.length() - 3));
    }

    /** The table of selected samples per server, the trend verdicts, the traffic and the findings. */
    static String text(List<Sample> samples, Map<String, Map<Metric, Trend>> trends, Traffic traffic, double seconds,
                       long seed, List<String> failures) {
        StringBuilder b = new StringBuilder();
        String head = String.format(Locale.ROOT, "%-6s %-9s %7s %6s %8s %8s %8s %8s %10s %10s %8s",
                "server", "sample", "t s", "fds", "threads", "RSS MiB", "heap MiB", "native", "nmt-other", "accepted", "open");
        b.append(head).append('\n').append("-".repeat(head.length())).append('\n');
        for (String server : trends.keySet()) {
            List<Sample> mine = samples.stream().filter(s -> s.server().equals(server)).toList();
            List<Sample> under = mine.stream().filter(s -> s.phase().equals("traffic")).toList();
            Map<String, Sample> rows = new java.util.LinkedHashMap<>();
            mine.stream().filter(s -> s.phase().equals("idle")).findFirst().ifPresent(s -> rows.put("idle", s));
            if (!under.isEmpty()) {
                int last = under.size() - 1;
                rows.put("start", under.get(0));
                rows.put("1/4", under.get(last / 4));
                rows.put("middle", under.get(last / 2));
                rows.put("3/4", under.get(last * 3 / 4));
                rows.put("end", under.get(last));
            }
            mine.stream().filter(s -> s.phase().equals("after")).reduce((x, y) -> y).ifPresent(s -> rows.put("after", s));
            rows.forEach((label, s) -> b.append(String.format(Locale.ROOT, "%-6s %-9s %7.0f %6s %8s %8s %8s %8s %10s %10s %8s%n",
                    server, label, s.seconds(), n(s.fds()), n(s.threads()), mib(s.rss()), mib(s.heap()), mib(s.nativeBytes()),
                    mib(s.other()), n(s.accepted()), n(s.open()))));
        }
        b.append("\nGrowth test (median of the last third of the samples under traffic against the middle third;\n")
                .append("the first third is warm-up; a metric fails when it grew by more than its limit):\n");
        for (var e : trends.entrySet()) {
            for (var m : e.getValue().entrySet()) {
                b.append(String.format(Locale.ROOT, "  %-6s %-10s %s%n", e.getKey(), m.getKey().label,
                        m.getValue().describe(m.getKey().scale, m.getKey().unit)));
            }
        }
        b.append(String.format(Locale.ROOT,
                "%nTraffic over %.0f s (seed %d): %,d messages checked (echo round trips, HTTP responses, datagrams; %,.0f/s),"
                        + " %,d MiB, %,d connections, %,d resets, %,d slow readers, %,d datagrams, %d errors%n",
                seconds, seed, traffic.messages.get(), traffic.messages.get() / seconds, traffic.bytes.get() >> 20,
                traffic.connections.get(), traffic.resets.get(), traffic.slowReaders.get(), traffic.datagrams.get(),
                traffic.errors.get()));
        if (failures.isEmpty()) {
            b.append("PASSED\n");
        } else {
            b.append("FAILED:\n");
            for (String f : failures) b.append("  ").append(f).append('\n');
        }
        return b.toString();
    }

    /** "socket x12, anon_inode:[eventfd] x1, /dev/null x40": what a set of /proc/pid/fd targets is. */
    static String summarizeFiles(List<String> files) {
        Map<String, Integer> kinds = new TreeMap<>();
        for (String f : files) kinds.merge(f.replaceAll(":\\[\\d+]$", ""), 1, Integer::sum);
        List<String> parts = new ArrayList<>();
        kinds.forEach((k, v) -> parts.add(k + " x" + v));
        return parts.isEmpty() ? "(they closed meanwhile)" : String.join(", ", parts);
    }

    /** Every sample, one line each. */
    static String csv(List<Sample> samples) {
        StringBuilder b = new StringBuilder("server,phase,seconds,fds,threads,rss_bytes,heap_after_gc_bytes,native_bytes,"
                + "nmt_other_bytes,accepted,open,accept_errors,handler_failures\n");
        for (Sample s : samples) {
            b.append(String.format(Locale.ROOT, "%s,%s,%.1f,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d%n", s.server(), s.phase(), s.seconds(),
                    s.fds(), s.threads(), s.rss(), s.heap(), s.nativeBytes(), s.other(), s.accepted(), s.open(),
                    s.acceptErrors(), s.handlerFailures()));
        }
        return b.toString();
    }

    /**
     * One panel per metric, a line per server over the samples under traffic; dashed lines mark
     * the thirds the growth test compares (warm-up | middle | last).
     */
    static String svg(List<Sample> samples, Map<String, Map<Metric, Trend>> trends, String stamp, boolean passed) {
        int cols = 2;
        int panelW = 430;
        int panelH = 200;
        int top = 56;
        Metric[] metrics = Metric.values();
        int rows = (metrics.length + cols - 1) / cols;
        Svg svg = new Svg(cols * panelW + 20, top + rows * panelH + 10);
        svg.text(10, 22, "font-size=\"15\" font-weight=\"bold\"", "ffm-epoll " + stamp + ": " + (passed ? "passed" : "FAILED"));
        svg.text(cols * panelW + 10, 22, "text-anchor=\"end\" fill=\"#666\"", "samples under traffic; dashed: thirds of the growth test");
        List<String> servers = new ArrayList<>(trends.keySet());
        for (int i = 0; i < servers.size(); i++) {
            svg.rect(10 + i * 90, 34, 14, 10, COLOURS.get(i % COLOURS.size()));
            svg.text(28 + i * 90, 44, "", servers.get(i));
        }
        List<Sample> under = samples.stream().filter(s -> s.phase().equals("traffic")).toList();
        double tMax = under.stream().mapToDouble(Sample::seconds).max().orElse(1);
        for (int m = 0; m < metrics.length; m++) {
            Metric metric = metrics[m];
            int px = 10 + (m % cols) * panelW;
            int py = top + (m / cols) * panelH;
            int left = px + 50;
            int right = px + panelW - 20;
            int plotTop = py + 24;
            int bottom = py + panelH - 30;
            double yMax = under.stream().mapToDouble(s -> metric.value.applyAsLong(s) / metric.scale).max().orElse(1);
            yMax = yMax <= 0 ? 1 : yMax * 1.1;
            List<String> grew = new ArrayList<>();
            trends.forEach((server, t) -> {
                if (t.get(metric).grew()) grew.add(server);
            });
            svg.text(px, py + 14, "font-weight=\"bold\"", metric.label + (metric.unit.isEmpty() ? "" : " (" + metric.unit + ")")
                    + (grew.isEmpty() ? " · ok" : " · GREW: " + String.join(", ", grew)));
            svg.line(left, bottom, right, bottom, "#999", 1, "");
            svg.line(left, plotTop, left, bottom, "#999", 1, "");
            svg.text(left - 4, plotTop + 4, "text-anchor=\"end\" fill=\"#666\"", axis(yMax));
            svg.text(left - 4, bottom, "text-anchor=\"end\" fill=\"#666\"", "0");
            svg.text(right, bottom + 16, "text-anchor=\"end\" fill=\"#666\"", String.format(Locale.ROOT, "%.0f s", tMax));
            for (int i = 0; i < servers.size(); i++) {
                String server = servers.get(i);
                List<Sample> mine = under.stream().filter(s -> s.server().equals(server) && metric.value.applyAsLong(s) >= 0).toList();
                if (mine.isEmpty()) continue;
                double[] xs = new double[mine.size()];
                double[] ys = new double[mine.size()];
                for (int k = 0; k < xs.length; k++) {
                    xs[k] = left + (right - left) * mine.get(k).seconds() / tMax;
                    ys[k] = bottom - (bottom - plotTop) * (metric.value.applyAsLong(mine.get(k)) / metric.scale) / yMax;
                }
                svg.polyline(xs, ys, COLOURS.get(i % COLOURS.size()), 1.5);
                if (i == 0 && mine.size() >= Trend.MIN_SAMPLES) {
                    int third = mine.size() / 3;
                    for (int edge : new int[] {mine.size() - 2 * third, mine.size() - third}) {
                        double x = (xs[edge - 1] + xs[edge]) / 2;
                        svg.line(x, plotTop, x, bottom, "#bbb", 1, "4 3");
                    }
                }
            }
        }
        return svg.end();
    }

    private static String axis(double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }
}
