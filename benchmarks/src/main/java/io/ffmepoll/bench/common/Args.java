package io.ffmepoll.bench.common;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ArrayList;

/** {@code --name value} command-line options, with positional words kept apart. */
public final class Args {
    private final Map<String, String> options = new HashMap<>();
    private final List<String> positional = new ArrayList<>();

    /** Parses {@code --k v}, {@code --k=v} and bare {@code --flag} (followed by another option or nothing). */
    public Args(String[] argv) {
        for (int i = 0; i < argv.length; i++) {
            String a = argv[i];
            if (a.startsWith("--")) {
                int eq = a.indexOf('=');
                if (eq > 0) {
                    options.put(a.substring(2, eq), a.substring(eq + 1));
                } else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) {
                    options.put(a.substring(2), argv[++i]);
                } else {
                    options.put(a.substring(2), "true");
                }
            } else {
                positional.add(a);
            }
        }
    }

    /** The value or {@code def}. */
    public String get(String name, String def) {
        return options.getOrDefault(name, def);
    }

    /** An integer value or {@code def}; a malformed one is a clear error. */
    public long number(String name, long def) {
        String v = options.get(name);
        if (v == null) return def;
        try {
            return parseSize(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " expects a number, got '" + v + "'");
        }
    }

    /** A decimal value or {@code def}. */
    public double decimal(String name, double def) {
        String v = options.get(name);
        if (v == null) return def;
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " expects a number, got '" + v + "'");
        }
    }

    /** Whether a flag was given. */
    public boolean flag(String name) {
        return Boolean.parseBoolean(options.getOrDefault(name, "false"));
    }

    /** The words that are not options. */
    public List<String> positional() {
        return positional;
    }

    /** Accepts 64, 4k, 1m, 1g (binary multiples). */
    public static long parseSize(String v) {
        String s = v.trim().toLowerCase();
        long mul = 1;
        if (s.endsWith("k")) mul = 1L << 10;
        else if (s.endsWith("m")) mul = 1L << 20;
        else if (s.endsWith("g")) mul = 1L << 30;
        if (mul != 1) s = s.substring(0, s.length() - 1);
        return Long.parseLong(s) * mul;
    }
}
