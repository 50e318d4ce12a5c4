package io.ffmepoll.bench.ffm;

import io.ffmepoll.reactor.Handler;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * A deliberate leak per accepted connection, for {@code FfmServer --leak}: it exists only to
 * show that {@code bench soak} fails on a server that leaks, and is never on unless asked for.
 * What leaks stays reachable from a static list, so no GC or cleaner can hide it.
 */
final class InjectedLeak {

    /** The kinds {@code --leak} accepts. */
    static final List<String> KINDS = List.of("fd", "heap", "native");

    private static final int BYTES = 16 * 1024;
    private static final List<Object> RETAINED = new ArrayList<>();

    private InjectedLeak() {
    }

    /**
     * {@code handlers} itself when {@code kind} is null, else a factory that leaks one
     * {@code kind} per connection before handing out the handler. The factory is called on
     * the loop threads; the list is locked because a server may run several loops.
     */
    static Supplier<Handler> wrap(String kind, Supplier<Handler> handlers) {
        if (kind == null) return handlers;
        return () -> {
            synchronized (RETAINED) {
                RETAINED.add(switch (kind) {
                    case "fd" -> openDevNull();
                    case "heap" -> new byte[BYTES];
                    case "native" -> Arena.global().allocate(BYTES).fill((byte) 1);   // touched: resident too
                    default -> throw new IllegalArgumentException(kind);
                });
            }
            return handlers.get();
        };
    }

    private static FileChannel openDevNull() {
        try {
            return FileChannel.open(Path.of("/dev/null"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
