package io.ffmepoll.bench.common;

import java.nio.file.Path;

/**
 * Where {@code bench compare} and {@code bench soak} write their files: by default
 * {@code target/results} of the benchmarks directory, which git ignores, so a run leaves the
 * tracked tree clean; {@code --keep} writes to the tracked {@code results/} instead (files meant
 * to be committed, e.g. the ones the README cites); {@code --out DIR} to any directory.
 * Stateless: thread-safe.
 */
public final class Results {
    private Results() {
    }

    /**
     * The directory for a run's files, given its options and the benchmarks directory
     * {@code home}; a relative {@code --out} is taken from the current directory, where the
     * launcher was started.
     */
    public static Path dir(Args options, Path home) {
        String out = options.get("out", null);
        if (out != null) return Path.of(out).toAbsolutePath();
        String keep = options.get("keep", "false");
        if (!keep.equals("true") && !keep.equals("false")) {
            // "--keep word" parses as an option with a value: the word would be lost silently.
            throw new IllegalArgumentException("--keep takes no value (got '" + keep + "'): put scenario names before it");
        }
        return options.flag("keep") ? home.resolve("results") : home.resolve("target").resolve("results");
    }

    /**
     * What to add to the "wrote ..." line: for the default directory, that the files are
     * outside the tracked tree and how to keep them; else nothing.
     */
    public static String hint(Path dir, Path home) {
        return dir.equals(home.resolve("target").resolve("results"))
                ? " (not tracked by git, deleted by mvn clean: --keep writes to " + home.resolve("results") + ", --out DIR elsewhere)"
                : "";
    }
}
