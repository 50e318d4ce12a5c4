package io.ffmepoll.reactor;

/**
 * Which kind of idleness a connection's idle timeout watches ({@link Connection#idleTimeout(Idle,
 * java.time.Duration)}, {@link Handler#onIdle}).
 * {@snippet :
 * Reactor r = Reactor.builder()
 *         .readIdleTimeout(Duration.ofSeconds(60))    // no request for a minute: close
 *         .writeIdleTimeout(Duration.ofSeconds(10))   // output stuck for 10 s: close
 *         .build();
 * }
 */
public enum Idle {
    /** No bytes read for the timeout. */
    READ("no input"),
    /**
     * No bytes handed to the kernel for the timeout: nothing written, or output queued behind a
     * peer that does not read.
     */
    WRITE("no output"),
    /** Neither read nor written for the timeout ({@link Reactor.Builder#idleTimeout}). */
    READ_WRITE("idle");

    static final Idle[] VALUES = values();

    private final String description;

    Idle(String description) {
        this.description = description;
    }

    String description() {
        return description;
    }
}
