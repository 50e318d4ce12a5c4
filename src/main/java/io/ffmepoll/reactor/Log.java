package io.ffmepoll.reactor;

import java.util.function.Supplier;

/**
 * The reactor's logging, through {@link System.Logger} ({@code io.ffmepoll.reactor}), made
 * unable to hurt a loop: a logger that fails (the JDK's formatter opens {@code tzdb.dat} on
 * first use, which fails with EMFILE exactly when the process is out of descriptors) loses
 * that record, never the loop.
 */
final class Log {
    static final System.Logger LOGGER = System.getLogger("io.ffmepoll.reactor");

    private Log() {}

    static void log(System.Logger.Level level, String message) {
        try {
            LOGGER.log(level, message);
        } catch (Throwable ignored) {
            // dropped: see the class comment
        }
    }

    static void log(System.Logger.Level level, String message, Throwable thrown) {
        try {
            LOGGER.log(level, message, thrown);
        } catch (Throwable ignored) {
            // dropped: see the class comment
        }
    }

    static void log(System.Logger.Level level, Supplier<String> message) {
        try {
            LOGGER.log(level, message);
        } catch (Throwable ignored) {
            // dropped: see the class comment
        }
    }
}
