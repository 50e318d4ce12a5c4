package io.ffmepoll.internal.sys;

/**
 * Lets the layers above hold any {@code io.ffmepoll.epoll.Descriptor} for the length of a call,
 * as the descriptor's own subclasses do, without making that pair public API (the JDK's
 * shared-secrets pattern). {@code Descriptor} installs the implementation when its class
 * initialises, which has happened by the time anyone holds an instance.
 */
public final class Leases {

    /** The descriptor's {@code acquire()} and {@code release()}. */
    public interface Access {
        /** Marks {@code descriptor} in use; returns its fd; throws IllegalStateException if closed. */
        int acquire(Object descriptor);

        /** Ends a use begun with {@link #acquire(Object)}. */
        void release(Object descriptor);
    }

    private static Access access;

    private Leases() {}

    /** Called once, by {@code Descriptor}'s static initialiser. */
    public static synchronized void install(Access impl) {
        if (access != null) throw new IllegalStateException("already installed");
        access = impl;
    }

    /** The installed access; never null once a descriptor exists. */
    public static Access access() {
        return access;
    }
}
