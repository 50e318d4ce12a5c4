package io.ffmepoll.epoll;

import io.ffmepoll.internal.gen.Linux;
import io.ffmepoll.internal.sys.Sys;

/**
 * A kernel counter that is readable while non-zero: the usual way to wake an epoll wait from
 * another thread. Opened with {@code EFD_NONBLOCK | EFD_CLOEXEC}.
 * {@snippet :
 * try (EventFd wake = EventFd.open()) {
 *     wake.signal(1);
 *     wake.signal(2);
 *     assert wake.read() == 3;   // the sum, and the counter resets
 *     assert wake.read() == 0;   // 0: nothing to read (EAGAIN)
 * }
 * }
 */
public final class EventFd extends Descriptor {

    private EventFd(int fd) {
        super(fd);
    }

    /**
     * A counter starting at 0.
     * @return a new eventfd, non-blocking and close-on-exec
     * @throws NativeIOException EMFILE or ENFILE when out of descriptors
     */
    public static EventFd open() throws NativeIOException {
        return open(false);
    }

    /**
     * A counter starting at 0; in semaphore mode each read takes 1 instead of the whole count.
     * @param semaphore whether to open in semaphore mode ({@code EFD_SEMAPHORE})
     * @return a new eventfd, non-blocking and close-on-exec
     * @throws NativeIOException EMFILE or ENFILE when out of descriptors
     */
    public static EventFd open(boolean semaphore) throws NativeIOException {
        return open(0, semaphore);
    }

    /**
     * A counter starting at {@code initial}, readable at once if that is not 0. In semaphore mode
     * ({@code EFD_SEMAPHORE}) each {@link #read()} takes 1 instead of the whole count, so
     * {@code initial} is the number of permits that can be taken before the first signal.
     * Thread-safe.
     * {@snippet :
     * try (EventFd permits = EventFd.open(2, true)) {
     *     assert permits.read() == 1;
     *     assert permits.read() == 1;
     *     assert permits.read() == 0;   // none left: the read would block
     * }
     * }
     * @param initial the starting value, 0 to 2^32-1 ({@code eventfd(2)} takes an unsigned int)
     * @param semaphore whether to open in semaphore mode
     * @return a new eventfd, non-blocking and close-on-exec
     * @throws IllegalArgumentException if {@code initial} is outside 0 to 2^32-1
     * @throws NativeIOException EMFILE or ENFILE when out of descriptors
     */
    public static EventFd open(long initial, boolean semaphore) throws NativeIOException {
        if (initial < 0 || initial > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("eventfd initial value must be 0..2^32-1: " + initial);
        }
        int flags = Linux.EFD_NONBLOCK() | Linux.EFD_CLOEXEC() | (semaphore ? Linux.EFD_SEMAPHORE() : 0);
        return new EventFd(Errors.check("eventfd", Sys.eventfd((int) initial, flags)));
    }

    /**
     * Adds {@code n} to the counter.
     * @param n the amount to add, as an unsigned 64-bit value
     * @return false if the counter would overflow (EAGAIN); it is then already readable
     * @throws IllegalArgumentException if {@code n} is not in 1..2^64-2 as unsigned
     * @throws NativeIOException if the write fails for another reason than a full counter
     */
    public boolean signal(long n) throws NativeIOException {
        if (n == 0 || n == -1L) throw new IllegalArgumentException("eventfd increment must be 1..2^64-2");
        int fd = acquire();
        try {
            int r = Sys.writeLong(fd, n);
            if (r == -Errors.EAGAIN) return false;
            Errors.check("write(eventfd)", r);
            return true;
        } finally {
            release();
        }
    }

    /**
     * Takes the counter (or 1 in semaphore mode), as an unsigned 64-bit value; 0 if it was 0.
     * @return the value taken, or 0 when the counter was 0 (the read would block)
     * @throws NativeIOException if the read fails for another reason
     */
    public long read() throws NativeIOException {
        return readCounter("read(eventfd)");
    }
}
