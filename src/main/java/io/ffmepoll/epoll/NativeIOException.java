package io.ffmepoll.epoll;

import java.io.IOException;

/**
 * A system call failed with {@code errno}. Keeps the number, its symbolic name and the
 * {@code strerror} text; the message reads {@code "epoll_ctl(ADD): EEXIST (File exists)"}.
 * Created only by {@link Errors}.
 */
public class NativeIOException extends IOException {

    private static final long serialVersionUID = 1L;
    /** The failed call, as {@code "epoll_ctl(ADD)"}. */
    private final String call;
    /** The positive errno value the call failed with. */
    private final int errno;

    NativeIOException(String call, int errno) {
        super(call + ": " + Errors.name(errno) + " (" + Errors.strerror(errno) + ")");
        this.call = call;
        this.errno = errno;
    }

    /**
     * The failed call, as {@code "connect"} or {@code "epoll_ctl(MOD)"}.
     * @return the call's name, with the operation in parentheses where one function has several
     */
    public String call() {
        return call;
    }

    /**
     * The positive errno value.
     * @return the errno number, as the {@link Errors} constants (for example {@link Errors#ECONNRESET})
     */
    public int errno() {
        return errno;
    }

    /**
     * The symbolic name, as {@code "ECONNRESET"}.
     * @return the name of {@link #errno()}, or {@code "errno N"} for a number the library does not name
     */
    public String errnoName() {
        return Errors.name(errno);
    }
}
