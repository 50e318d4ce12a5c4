package io.ffmepoll.internal.sys;

import io.ffmepoll.internal.gen.cmsghdr;

/**
 * {@code CMSG_*} arithmetic (the C macros are not functions jextract can bind): a control
 * message is a {@code cmsghdr} followed by data, each padded to {@code sizeof(size_t)}.
 */
public final class Control {

    /** sizeof(size_t), the alignment of CMSG_ALIGN: the size of {@code cmsg_len}. */
    private static final long ALIGNMENT = cmsghdr.cmsg_len$layout().byteSize();
    public static final long HEADER = cmsghdr.sizeof();
    public static final long DATA = align(HEADER);

    private Control() {}

    /** CMSG_ALIGN. */
    public static long align(long n) {
        return (n + ALIGNMENT - 1) & -ALIGNMENT;
    }

    /** CMSG_SPACE: bytes one message with {@code dataLength} bytes of data occupies. */
    public static long space(long dataLength) {
        return DATA + align(dataLength);
    }

    /** CMSG_LEN: the value of {@code cmsg_len} for {@code dataLength} bytes of data. */
    public static long length(long dataLength) {
        return DATA + dataLength;
    }
}
