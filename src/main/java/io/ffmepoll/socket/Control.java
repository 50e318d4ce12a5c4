package io.ffmepoll.socket;

import io.ffmepoll.internal.gen.cmsghdr;

/**
 * {@code CMSG_*} arithmetic (the C macros are not functions jextract can bind): a control
 * message is a {@code cmsghdr} followed by data, each padded to {@code sizeof(size_t)}.
 */
final class Control {

    static final long HEADER = cmsghdr.sizeof();
    static final long DATA = align(HEADER);

    private Control() {}

    static long align(long n) {
        return (n + 7) & ~7L;
    }

    /** CMSG_SPACE: bytes one message with {@code dataLength} bytes of data occupies. */
    static long space(long dataLength) {
        return DATA + align(dataLength);
    }

    /** CMSG_LEN: the value of {@code cmsg_len} for {@code dataLength} bytes of data. */
    static long length(long dataLength) {
        return DATA + dataLength;
    }
}
