package io.ffmepoll.bench.common;

import java.util.Locale;

/**
 * The few SVG elements the harness's charts need (the compare bars, the soak lines), written
 * by hand so a chart needs no plotting tool. Coordinates are pixels, y grows downwards.
 * Not thread-safe: one chart per instance.
 */
public final class Svg {

    private final StringBuilder b = new StringBuilder();

    /** Starts a {@code width} x {@code height} chart on a white background, 12 px sans-serif text. */
    public Svg(int width, int height) {
        b.append(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n",
                width, height, width, height));
        b.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    }

    /**
     * Text at (x, y); {@code attributes} are extra attributes written as given (e.g.
     * {@code font-weight="bold"}, {@code text-anchor="end"}), or empty. The text is escaped.
     */
    public Svg text(double x, double y, String attributes, String text) {
        b.append(String.format(Locale.ROOT, "<text x=\"%s\" y=\"%s\"%s>%s</text>%n", num(x), num(y),
                attributes.isEmpty() ? "" : " " + attributes, esc(text)));
        return this;
    }

    /** A filled rectangle. */
    public Svg rect(double x, double y, double width, double height, String fill) {
        b.append(String.format(Locale.ROOT, "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" fill=\"%s\"/>%n",
                num(x), num(y), num(width), num(height), fill));
        return this;
    }

    /** A straight line; {@code dash} is a stroke-dasharray such as "4 3", or empty for solid. */
    public Svg line(double x1, double y1, double x2, double y2, String stroke, double width, String dash) {
        b.append(String.format(Locale.ROOT, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"%s\" stroke-width=\"%s\"%s/>%n",
                num(x1), num(y1), num(x2), num(y2), stroke, num(width),
                dash.isEmpty() ? "" : " stroke-dasharray=\"" + dash + "\""));
        return this;
    }

    /** An open polyline through the points (xs[i], ys[i]). */
    public Svg polyline(double[] xs, double[] ys, String stroke, double width) {
        StringBuilder pts = new StringBuilder();
        for (int i = 0; i < xs.length; i++) {
            if (i > 0) pts.append(' ');
            pts.append(num(xs[i])).append(',').append(num(ys[i]));
        }
        b.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"%s\"/>%n",
                pts, stroke, num(width)));
        return this;
    }

    /** Closes the chart and returns the document. */
    public String end() {
        return b.append("</svg>\n").toString();
    }

    /** Escapes text for an SVG text node. */
    public static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    /** Integers without a fraction, else one decimal: short files, sub-pixel precision is invisible. */
    private static String num(double v) {
        long r = Math.round(v);
        return Math.abs(v - r) < 1e-9 ? Long.toString(r) : String.format(Locale.ROOT, "%.1f", v);
    }
}
