package io.ffmepoll.bench.soak;

import java.util.Arrays;
import java.util.Locale;

/**
 * The growth test of a soak run, one metric of one server at a time.
 * <p>The samples taken under traffic are cut into thirds. The first third is warm-up (JIT,
 * buffer pools and heap sizing settle there) and is ignored. The median of the last third is
 * compared with the median of the middle third: the metric grew if
 * <pre>
 *   median(last third) - median(middle third) &gt; absolute slack + relative slack * median(middle third)
 * </pre>
 * Medians make one spike (a full GC that has not returned memory yet, a burst of connections
 * at the moment of a sample) count for nothing; a leak moves the whole last third. The slack
 * is what a healthy server still varies by on a loaded machine; the limits per metric are in
 * {@link Metric}. With fewer than {@link #MIN_SAMPLES} samples there is no verdict.
 * <p>Pure function of its input; thread-safe.
 */
record Trend(double middle, double last, double growth, double limit, boolean grew, int samples) {

    /** Below this many samples under traffic (two per third) the thirds mean nothing. */
    static final int MIN_SAMPLES = 6;

    /** The test of {@code values} (in sample order, negative = not measured) against the slack. */
    static Trend of(double[] values, double absoluteSlack, double relativeSlack) {
        double[] v = Arrays.stream(values).filter(x -> x >= 0).toArray();
        if (v.length < MIN_SAMPLES) return new Trend(Double.NaN, Double.NaN, Double.NaN, Double.NaN, false, v.length);
        int third = v.length / 3;
        // The last third is exactly `third` long; the middle third ends where it begins.
        double middle = median(Arrays.copyOfRange(v, v.length - 2 * third, v.length - third));
        double last = median(Arrays.copyOfRange(v, v.length - third, v.length));
        double limit = absoluteSlack + relativeSlack * Math.max(0, middle);
        double growth = last - middle;
        return new Trend(middle, last, growth, limit, growth > limit, v.length);
    }

    /** Whether there were enough samples for a verdict. */
    boolean decided() {
        return samples >= MIN_SAMPLES;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    /** One line: "ok"/"GREW" with the two medians, the growth and its limit in {@code unit}s. */
    String describe(double scale, String unit) {
        if (!decided()) return "no verdict (" + samples + " samples, need " + MIN_SAMPLES + ")";
        return String.format(Locale.ROOT, "%s  middle %s  last %s  growth %s (limit %s) %s",
                grew ? "GREW" : "ok  ", fmt(middle / scale), fmt(last / scale), fmt(growth / scale), fmt(limit / scale), unit);
    }

    private static String fmt(double v) {
        return Math.abs(v) >= 100 || v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }
}
