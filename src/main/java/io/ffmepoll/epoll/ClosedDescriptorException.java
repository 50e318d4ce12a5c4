package io.ffmepoll.epoll;

/**
 * The kernel said {@code EBADF}: the fd number is not open (or not open for this use). The
 * native counterpart of {@link java.nio.channels.ClosedChannelException}.
 */
public final class ClosedDescriptorException extends NativeIOException {

    private static final long serialVersionUID = 1L;

    ClosedDescriptorException(String call, int errno) {
        super(call, errno);
    }
}
