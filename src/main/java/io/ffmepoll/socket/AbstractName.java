package io.ffmepoll.socket;

import java.io.Serial;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A Unix domain socket name in Linux's abstract namespace: no file is created, and the name
 * disappears when the last socket bound to it closes (see {@code unix(7)}).
 * <p>The name is a byte string of at most {@value #MAX_LENGTH} bytes that may contain anything,
 * NUL included; it is held without the leading NUL byte the kernel uses to mark the namespace.
 * {@snippet :
 * try (UnixListener listener = UnixListener.bind(AbstractName.of("ffm-echo"), 128)) {
 *     UnixStream client = UnixStream.connect(AbstractName.of("ffm-echo"));
 * }
 * }
 */
public final class AbstractName extends SocketAddress {

    @Serial
    private static final long serialVersionUID = 1L;

    /** The longest name: {@code sun_path} (108 bytes) less the leading NUL. */
    public static final int MAX_LENGTH = 107;
    /**
     * The name without the leading NUL, 1 to {@value #MAX_LENGTH} bytes.
     */

    private final byte[] bytes;

    private AbstractName(byte[] bytes) {
        if (bytes.length == 0) throw new IllegalArgumentException("abstract name is empty");
        if (bytes.length > MAX_LENGTH) {
            throw new IllegalArgumentException("abstract name longer than " + MAX_LENGTH + " bytes: " + bytes.length);
        }
        this.bytes = bytes;
    }

    /**
     * The name made of {@code name}'s UTF-8 bytes.
     * @param name the name; its UTF-8 encoding is what the kernel sees
     * @return the abstract name
     * @throws IllegalArgumentException if empty or longer than {@value #MAX_LENGTH} bytes
     */
    public static AbstractName of(String name) {
        return new AbstractName(name.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The name made of exactly these bytes (copied).
     * @param name the name's bytes, any values (a NUL byte included)
     * @return the abstract name
     * @throws IllegalArgumentException if empty or longer than {@value #MAX_LENGTH} bytes
     */
    public static AbstractName ofBytes(byte[] name) {
        return new AbstractName(name.clone());
    }

    /**
     * The name's bytes (a copy), without the leading NUL.
     * @return a copy of the bytes
     */
    public byte[] bytes() {
        return bytes.clone();
    }

    /**
     * The name's length in bytes.
     * @return 1 to {@value #MAX_LENGTH}
     */
    public int length() {
        return bytes.length;
    }

    byte[] rawBytes() {
        return bytes;
    }

    /**
     * The name decoded as UTF-8 (lossy if it is not UTF-8).
     * @return the name as text
     */
    public String name() {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AbstractName other && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    /** {@code "@name"} as {@code ss -x} shows it, or {@code "@0x..."} when not printable text. */
    @Override
    public String toString() {
        for (byte b : bytes) {
            if (b < 0x20 || b == 0x7f) return "@0x" + HexFormat.of().formatHex(bytes);
        }
        return "@" + name();
    }
}
