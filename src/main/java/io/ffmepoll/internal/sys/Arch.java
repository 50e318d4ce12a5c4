package io.ffmepoll.internal.sys;

import java.lang.foreign.GroupLayout;

/**
 * The architectures the library has bindings for, and the one place that chooses between them.
 * <p>Everything in {@code io.ffmepoll.internal.gen} was generated from each architecture's
 * headers and came out the same for all of them; what came out differently lives in
 * {@code io.ffmepoll.internal.gen.<arch>} and is reached only through the methods here (today:
 * {@code struct epoll_event}, packed on x86-64 only). jextract/README.md lists the difference
 * and how it was verified.
 */
public enum Arch {
    /** x86-64, {@code os.arch} {@code amd64} (or {@code x86_64}). */
    X86_64 {
        @Override
        public GroupLayout epollEvent() {
            return io.ffmepoll.internal.gen.x86_64.epoll_event.layout();
        }
    },
    /** 64-bit ARM, {@code os.arch} {@code aarch64}. */
    AARCH64 {
        @Override
        public GroupLayout epollEvent() {
            return io.ffmepoll.internal.gen.aarch64.epoll_event.layout();
        }
    };

    /** This JVM's architecture, or null where the library has no bindings for it. */
    private static final Arch CURRENT = of(System.getProperty("os.arch"));

    /**
     * {@code struct epoll_event} as this architecture's headers declare it. Only the chosen
     * architecture's generated class is loaded.
     * @return the generated layout
     */
    public abstract GroupLayout epollEvent();

    /** The architecture {@code os.arch} names, or null for one without bindings. */
    static Arch of(String osArch) {
        return switch (osArch) {
            case "amd64", "x86_64" -> X86_64;
            case "aarch64" -> AARCH64;
            default -> null;
        };
    }

    /**
     * This JVM's architecture. Thread-safe.
     * <p>Throws an {@link Error} rather than an exception because the first call is made from a
     * static initializer (see {@link NativeAccess#check()}), where an exception would reach the
     * caller wrapped in {@link ExceptionInInitializerError}.
     * @return the architecture whose bindings apply
     * @throws UnsatisfiedLinkError naming {@code os.arch} where the library has no bindings for it
     */
    public static Arch current() {
        if (CURRENT == null) throw unsupported(System.getProperty("os.arch"));
        return CURRENT;
    }

    static UnsatisfiedLinkError unsupported(String osArch) {
        return new UnsatisfiedLinkError("ffm-epoll has bindings for Linux on x86-64 and aarch64 only, and this JVM"
                + " runs on os.arch=" + osArch);
    }
}
