package io.ffmepoll.socket;

import io.ffmepoll.internal.gen.Linux;
import io.ffmepoll.internal.gen.in6_addr;
import io.ffmepoll.internal.gen.in_addr;
import io.ffmepoll.internal.gen.sockaddr_storage;
import io.ffmepoll.internal.gen.sockaddr_in;
import io.ffmepoll.internal.gen.sockaddr_in6;
import io.ffmepoll.internal.gen.sockaddr_un;
import io.ffmepoll.internal.sys.NativeScratch;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The one place where java.net addresses become {@code struct sockaddr} and back.
 * <p>Encoding writes into a caller-provided segment of at least {@link #STORAGE_SIZE} bytes
 * (the thread's scratch or a socket's own slot), so nothing native is allocated per call.
 */
final class AddressCodec {

    static final int AF_INET = Linux.AF_INET();
    static final int AF_INET6 = Linux.AF_INET6();
    static final int AF_UNIX = Linux.AF_UNIX();

    /** sizeof(struct sockaddr_storage). */
    static final int STORAGE_SIZE = (int) sockaddr_storage.sizeof();
    private static final int IN_ADDR_SIZE = (int) in_addr.sizeof();
    private static final int IN6_ADDR_SIZE = (int) in6_addr.sizeof();

    private static final ValueLayout.OfShort NET_SHORT =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfShort HOST_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt HOST_INT = ValueLayout.JAVA_INT_UNALIGNED;

    private static final long IN_PORT = sockaddr_in.sin_port$offset();
    private static final long IN_ADDR = sockaddr_in.sin_addr$offset();
    private static final int IN_SIZE = (int) sockaddr_in.sizeof();
    private static final long IN6_PORT = sockaddr_in6.sin6_port$offset();
    private static final long IN6_ADDR = sockaddr_in6.sin6_addr$offset();
    private static final long IN6_SCOPE = sockaddr_in6.sin6_scope_id$offset();
    private static final int IN6_SIZE = (int) sockaddr_in6.sizeof();
    private static final long UN_PATH = sockaddr_un.sun_path$offset();
    /** sizeof(sun_path): 108, the terminating NUL of a filesystem path included. */
    static final int UN_PATH_SIZE = (int) (sockaddr_un.sizeof() - UN_PATH);

    private AddressCodec() {}

    /** The address family a socket needs to reach {@code address}. */
    static int family(SocketAddress address) {
        Objects.requireNonNull(address, "address");
        if (address instanceof InetSocketAddress inet) {
            return inetAddress(inet) instanceof Inet4Address ? AF_INET : AF_INET6;
        }
        if (address instanceof UnixDomainSocketAddress || address instanceof AbstractName) return AF_UNIX;
        throw new IllegalArgumentException("unsupported address type: " + address.getClass().getName());
    }

    private static InetAddress inetAddress(InetSocketAddress inet) {
        if (inet.isUnresolved()) throw new IllegalArgumentException("unresolved address: " + inet);
        return inet.getAddress();
    }

    /**
     * Encodes {@code address} for a socket of {@code socketFamily} into {@code dst}.
     * An IPv4 address on an IPv6 socket becomes its v4-mapped form ({@code ::ffff:a.b.c.d}),
     * which is how a dual-stack socket reaches IPv4 peers.
     * @return the sockaddr length to pass to the kernel
     * @throws IllegalArgumentException if the address does not suit the socket
     */
    static int encode(SocketAddress address, int socketFamily, MemorySegment dst) {
        Objects.requireNonNull(address, "address");
        if (address instanceof InetSocketAddress inet) {
            InetAddress ip = inetAddress(inet);
            if (socketFamily == AF_INET) {
                if (!(ip instanceof Inet4Address)) {
                    throw new IllegalArgumentException("IPv6 address on an IPv4 socket: " + inet);
                }
                dst.asSlice(0, IN_SIZE).fill((byte) 0);
                dst.set(HOST_SHORT, 0, (short) AF_INET);
                dst.set(NET_SHORT, IN_PORT, (short) inet.getPort());
                MemorySegment.copy(bytes(ip), 0, dst, ValueLayout.JAVA_BYTE, IN_ADDR, IN_ADDR_SIZE);
                return IN_SIZE;
            }
            if (socketFamily == AF_INET6) {
                dst.asSlice(0, IN6_SIZE).fill((byte) 0);
                dst.set(HOST_SHORT, 0, (short) AF_INET6);
                dst.set(NET_SHORT, IN6_PORT, (short) inet.getPort());
                byte[] raw = bytes(ip);
                if (raw.length == IN_ADDR_SIZE) {
                    dst.set(ValueLayout.JAVA_BYTE, IN6_ADDR + 10, (byte) 0xff);
                    dst.set(ValueLayout.JAVA_BYTE, IN6_ADDR + 11, (byte) 0xff);
                    MemorySegment.copy(raw, 0, dst, ValueLayout.JAVA_BYTE, IN6_ADDR + 12, IN_ADDR_SIZE);
                } else {
                    MemorySegment.copy(raw, 0, dst, ValueLayout.JAVA_BYTE, IN6_ADDR, IN6_ADDR_SIZE);
                    dst.set(HOST_INT, IN6_SCOPE, ((Inet6Address) ip).getScopeId());
                }
                return IN6_SIZE;
            }
            throw new IllegalArgumentException("IP address on a Unix domain socket: " + inet);
        }
        if (socketFamily != AF_UNIX) {
            throw new IllegalArgumentException("Unix domain address on an IP socket: " + address);
        }
        if (address instanceof AbstractName name) {
            byte[] raw = name.rawBytes();
            dst.set(HOST_SHORT, 0, (short) AF_UNIX);
            // Abstract names are length-delimited: a leading NUL, the bytes, no terminator.
            dst.set(ValueLayout.JAVA_BYTE, UN_PATH, (byte) 0);
            MemorySegment.copy(raw, 0, dst, ValueLayout.JAVA_BYTE, UN_PATH + 1, raw.length);
            return (int) UN_PATH + 1 + raw.length;
        }
        if (address instanceof UnixDomainSocketAddress unix) {
            byte[] raw = pathBytes(unix);
            dst.set(HOST_SHORT, 0, (short) AF_UNIX);
            MemorySegment.copy(raw, 0, dst, ValueLayout.JAVA_BYTE, UN_PATH, raw.length);
            dst.set(ValueLayout.JAVA_BYTE, UN_PATH + raw.length, (byte) 0);
            // An empty path encodes as the bare family: bind(2) then autobinds an abstract name.
            return raw.length == 0 ? (int) UN_PATH : (int) UN_PATH + raw.length + 1;
        }
        throw new IllegalArgumentException("unsupported address type: " + address.getClass().getName());
    }

    /**
     * {@code ip}'s bytes without a copy per call when it equals the thread's last encoded
     * address ({@code getAddress()} clones; {@code equals} compares without allocating).
     * The array is shared: read it, never write it.
     */
    private static byte[] bytes(InetAddress ip) {
        NativeScratch s = NativeScratch.current();
        if (!ip.equals(s.lastInetAddress)) {
            s.lastInetBytes = ip.getAddress();
            s.lastInetAddress = ip;
        }
        return s.lastInetBytes;
    }

    /** The path's bytes, checked against sun_path's size (107 bytes and the NUL). */
    static byte[] pathBytes(UnixDomainSocketAddress unix) {
        byte[] raw = unix.getPath().toString().getBytes(StandardCharsets.UTF_8);
        if (raw.length >= UN_PATH_SIZE) {
            throw new IllegalArgumentException("Unix socket path longer than " + (UN_PATH_SIZE - 1)
                    + " bytes: " + unix.getPath());
        }
        for (byte b : raw) {
            if (b == 0) throw new IllegalArgumentException("NUL in Unix socket path: " + unix.getPath());
        }
        return raw;
    }

    /**
     * Decodes a sockaddr the kernel wrote.
     * @param length the length the kernel reported (may be shorter than the struct for Unix)
     * @return the address; an unnamed Unix socket decodes as {@code UnixDomainSocketAddress.of("")}
     */
    static SocketAddress decode(MemorySegment src, int length) {
        if (length < 2) return UnixDomainSocketAddress.of("");
        int family = src.get(HOST_SHORT, 0);
        if (family == AF_INET) {
            byte[] raw = new byte[IN_ADDR_SIZE];
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, IN_ADDR, raw, 0, IN_ADDR_SIZE);
            return new InetSocketAddress(inet(raw, 0), Short.toUnsignedInt(src.get(NET_SHORT, IN_PORT)));
        }
        if (family == AF_INET6) {
            byte[] raw = new byte[IN6_ADDR_SIZE];
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, IN6_ADDR, raw, 0, IN6_ADDR_SIZE);
            int port = Short.toUnsignedInt(src.get(NET_SHORT, IN6_PORT));
            int scope = src.get(HOST_INT, IN6_SCOPE);
            // getByAddress turns ::ffff:a.b.c.d into an Inet4Address, so a dual-stack socket
            // reports IPv4 peers as IPv4.
            return new InetSocketAddress(inet(raw, scope), port);
        }
        if (family == AF_UNIX) {
            int pathLength = length - (int) UN_PATH;
            if (pathLength <= 0) return UnixDomainSocketAddress.of("");
            if (src.get(ValueLayout.JAVA_BYTE, UN_PATH) == 0) {
                byte[] raw = new byte[pathLength - 1];
                MemorySegment.copy(src, ValueLayout.JAVA_BYTE, UN_PATH + 1, raw, 0, raw.length);
                return raw.length == 0 ? UnixDomainSocketAddress.of("") : AbstractName.ofBytes(raw);
            }
            byte[] raw = new byte[pathLength];
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, UN_PATH, raw, 0, pathLength);
            int end = 0;
            while (end < raw.length && raw[end] != 0) end++;   // the kernel may count the NUL
            return UnixDomainSocketAddress.of(new String(raw, 0, end, StandardCharsets.UTF_8));
        }
        throw new IllegalStateException("unexpected address family " + family);
    }

    private static InetAddress inet(byte[] raw, int scope) {
        try {
            if (raw.length == IN6_ADDR_SIZE && scope != 0 && !isV4Mapped(raw)) {
                return Inet6Address.getByAddress(null, raw, scope);
            }
            return InetAddress.getByAddress(raw);
        } catch (UnknownHostException e) {
            throw new AssertionError("address of length " + raw.length, e);
        }
    }

    private static boolean isV4Mapped(byte[] raw) {
        for (int i = 0; i < 10; i++) if (raw[i] != 0) return false;
        return raw[10] == (byte) 0xff && raw[11] == (byte) 0xff;
    }
}
