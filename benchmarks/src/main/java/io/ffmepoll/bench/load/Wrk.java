package io.ffmepoll.bench.load;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Drives wrk (when installed) for HTTP load with pipelining through scripts/wrk-pipeline.lua and
 * turns its report into a {@link LoadGen.Result}. wrk checks status codes only, not bytes: the
 * byte-exact check is the harness's correctness gate, run before any timing.
 */
public final class Wrk {

    private Wrk() {
    }

    /** Whether a {@code wrk} binary is on the PATH. */
    public static boolean available() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            if (new java.io.File(dir, "wrk").canExecute()) return true;
        }
        return false;
    }

    /**
     * Runs wrk for {@code seconds} (whole seconds, at least 1) with one thread.
     * @param pinCpu CPU to pin wrk to with taskset, or -1
     */
    public static LoadGen.Result run(LoadGen.Config cfg, double seconds, String home, int pinCpu) throws IOException {
        List<String> cmd = new ArrayList<>();
        if (pinCpu >= 0) cmd.addAll(List.of("taskset", "-c", Integer.toString(pinCpu)));
        long secs = Math.max(1, Math.round(seconds));
        cmd.addAll(List.of("wrk", "-t1", "-c" + cfg.conns(), "-d" + secs + "s", "--latency", "--timeout", "5s",
                "-s", home + "/scripts/wrk-pipeline.lua", "http://" + cfg.host() + ":" + cfg.port() + "/",
                "--", Integer.toString(cfg.depth())));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out;
        try {
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(secs + 30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("wrk did not finish");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted", e);
        }
        if (p.exitValue() != 0) throw new IOException("wrk failed: " + out.strip());
        double rps = number(out, "Requests/sec:\\s+([0-9.]+)");
        long total = (long) number(out, "\\n\\s*([0-9]+) requests in");
        double dur = duration(out);
        long errors = 0;
        Matcher m = Pattern.compile("Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)").matcher(out);
        if (m.find()) {
            for (int i = 1; i <= 4; i++) errors += Long.parseLong(m.group(i));
        }
        double non2xx = number(out, "Non-2xx or 3xx responses:\\s+([0-9]+)");
        if (!Double.isNaN(non2xx)) errors += (long) non2xx;
        return new LoadGen.Result(cfg, dur, total, rps, "msg/s", percentile(out, "50"), percentile(out, "99"),
                Double.NaN, Double.NaN, errors, errors > 0 ? "wrk reported errors" : null);
    }

    private static double number(String out, String regex) {
        Matcher m = Pattern.compile(regex).matcher(out);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    private static double duration(String out) {
        Matcher m = Pattern.compile("requests in ([0-9.]+)(us|ms|s|m)").matcher(out);
        if (!m.find()) return Double.NaN;
        return scale(Double.parseDouble(m.group(1)), m.group(2)) / 1e6;
    }

    /** A latency percentile line of {@code --latency} in microseconds. */
    private static double percentile(String out, String pct) {
        Matcher m = Pattern.compile("\\n\\s*" + pct + "%\\s+([0-9.]+)(us|ms|s|m)").matcher(out);
        if (!m.find()) return Double.NaN;
        return scale(Double.parseDouble(m.group(1)), m.group(2));
    }

    private static double scale(double v, String unit) {
        return switch (unit) {
            case "us" -> v;
            case "ms" -> v * 1e3;
            case "s" -> v * 1e6;
            case "m" -> v * 60e6;
            default -> throw new IllegalArgumentException(unit);
        };
    }

    /** Formats the result like {@link LoadGen.Result#json()} plus {@code "tool":"wrk"}. */
    static String json(LoadGen.Result r) {
        return r.json().replace("\"p999_us\":NaN", "\"p999_us\":null").replace("\"max_us\":NaN", "\"max_us\":null")
                .replaceFirst("^\\{", "{\"tool\":\"wrk\",") ;
    }
}
