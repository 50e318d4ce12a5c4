package io.ffmepoll.epoll;

import java.io.IOException;

/**
 * A system call failed with {@code errno}. Keeps the number, its symbolic name and the
 * {@code strerror} text; the message reads {@code "epoll_ctl(ADD): EEXIST (File exists)"}.
 * Created only by {@link Errors}.
 */
public class NativeIOException extends IOException {

    private static final long serialVersionUID = 1L;
    private final String call;
    private final int errno;

    NativeIOException(String call, int errno) {
        super(call + ": " + Errors.name(errno) + " (" + Errors.strerror(errno) + ")");
        this.call = call;
        this.errno = errno;
    }

    /** The failed call, as {@code "connect"} or {@code "epoll_ctl(MOD)"}. */
    public String call() {
        return call;
    }

    /** The positive errno value. */
    public int errno() {
        return errno;
    }

    /** The symbolic name, as {@code "ECONNRESET"}. */
    public String errnoName() {
        return Errors.name(errno);
    }
}
