package io.ffmepoll.bench.jmh;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Puts the JMH scores (from {@code -rf csv}) next to the C loop that does the same syscalls
 * (the output of c/syscall_bench), so the Java overhead over the bare syscall reads off one line.
 * {@code Summary <jmh.csv> <c-output.txt>}
 */
public final class Summary {

    private Summary() {
    }

    public static void main(String[] args) throws IOException {
        Map<String, Double> c = new HashMap<>();
        if (args.length > 1 && Files.exists(Path.of(args[1]))) {
            for (String line : Files.readAllLines(Path.of(args[1]))) {
                // "c  <name padded>   <value> ns/op"
                if (!line.startsWith("c  ") || !line.endsWith("ns/op")) continue;
                String body = line.substring(3, line.length() - 5).trim();
                int cut = body.lastIndexOf(' ');
                c.put(body.substring(0, cut).trim(), Double.parseDouble(body.substring(cut + 1)));
            }
        }
        List<String> lines = Files.readAllLines(Path.of(args[0]));
        if (lines.isEmpty()) return;
        List<String> header = split(lines.get(0));
        int name = header.indexOf("Benchmark");
        int score = header.indexOf("Score");
        int error = header.indexOf("Score Error (99.9%)");
        int idle = header.indexOf("Param: idle");
        int ready = header.indexOf("Param: ready");
        List<String[]> rows = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            List<String> f = split(line);
            String bench = f.get(name).replace("io.ffmepoll.bench.jmh.", "");
            String params = "";
            String p = "";
            if (idle >= 0 && !f.get(idle).isEmpty()) {
                p = f.get(idle);
                params = "idle=" + p;
            }
            if (ready >= 0 && !f.get(ready).isEmpty()) {
                p = f.get(ready);
                params = "ready=" + p;
            }
            double s = Double.parseDouble(f.get(score));
            String err = error >= 0 && !f.get(error).isEmpty() && !f.get(error).equals("NaN")
                    ? String.format(Locale.ROOT, "± %.0f", Double.parseDouble(f.get(error))) : "";
            String cName = cLine(bench, p);
            Double cv = cName == null ? null : c.get(cName);
            rows.add(new String[] {bench + (params.isEmpty() ? "" : " " + params),
                    String.format(Locale.ROOT, "%.1f %s", s, err),
                    cv == null ? "-" : String.format(Locale.ROOT, "%.1f", cv),
                    cv == null ? "-" : String.format(Locale.ROOT, "%.2fx", s / cv),
                    cName == null ? "" : cName});
        }
        System.out.printf(Locale.ROOT, "%-52s %16s %10s %7s  %s%n", "JMH benchmark", "ns/op", "C ns/op", "JMH/C", "C loop");
        for (String[] r : rows) System.out.printf(Locale.ROOT, "%-52s %16s %10s %7s  %s%n", (Object[]) r);
    }

    /** The c/syscall_bench line doing the same syscalls as a JMH benchmark. */
    static String cLine(String bench, String param) {
        return switch (bench) {
            case "WaitBench.epollWait0", "WaitBench.selectorSelectNow" -> "epoll_wait(0) ready=" + param + " of 64 pipes";
            case "ModifyBench.epollModify" -> "epoll_ctl MOD (IN <-> IN|OUT)";
            case "ModifyBench.epollModifyThenWait0", "ModifyBench.selectorInterestOpsThenSelectNow" -> "epoll_ctl MOD + epoll_wait(0)";
            case "WakeBench.eventFdWakeRoundTrip", "WakeBench.selectorWakeupSelect" -> "eventfd write + epoll_wait + read";
            case "ErrnoBench.failingReadEagain" -> "eventfd read, fails EAGAIN";
            case "ErrnoBench.succeedingSignal" -> "eventfd write, succeeds";
            case "IdleScalingBench.epollWait0", "IdleScalingBench.selectorSelectNow" -> "epoll_wait(0) idle=" + param + " ready=1";
            case "IdleScalingBench.poll0" -> "poll(0) idle=" + param + " ready=1";
            default -> null;
        };
    }

    /** Splits one line of JMH's CSV (fields quoted, no embedded quotes). */
    private static List<String> split(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (ch == '"') quoted = !quoted;
            else if (ch == ',' && !quoted) {
                out.add(cur.toString());
                cur.setLength(0);
            } else cur.append(ch);
        }
        out.add(cur.toString());
        return out;
    }
}
