package io.ffmepoll.socket;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class AddressCodecTest {

    static SocketAddress roundTrip(SocketAddress a, int family) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = arena.allocate(AddressCodec.STORAGE_SIZE).fill((byte) 0x5a);
            int len = AddressCodec.encode(a, family, m);
            return AddressCodec.decode(m, len);
        }
    }

    @Test
    void ipv4EncodesPortInNetworkOrder() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = arena.allocate(AddressCodec.STORAGE_SIZE);
            assertEquals(16, AddressCodec.encode(new InetSocketAddress("10.1.2.3", 0x1234), AddressCodec.AF_INET, m));
            assertEquals(0x12, m.get(ValueLayout.JAVA_BYTE, 2));
            assertEquals(0x34, m.get(ValueLayout.JAVA_BYTE, 3));
            assertEquals(0x0a010203, m.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 4));
        }
    }

    @Test
    void inetAddressesRoundTrip() throws Exception {
        for (InetSocketAddress a : new InetSocketAddress[] {new InetSocketAddress("127.0.0.1", 80),
                new InetSocketAddress("0.0.0.0", 65535), new InetSocketAddress("::1", 443),
                new InetSocketAddress("2001:db8::7", 1)}) {
            assertEquals(a, roundTrip(a, AddressCodec.family(a)));
        }
        InetSocketAddress scoped = new InetSocketAddress(Inet6Address.getByAddress(null,
                InetAddress.getByName("fe80::1").getAddress(), 3), 9);
        assertEquals(scoped, roundTrip(scoped, AddressCodec.AF_INET6));
    }

    @Test
    void ipv4OnAnIpv6SocketTravelsV4MappedAndComesBackAsIpv4() {
        InetSocketAddress a = new InetSocketAddress("192.0.2.9", 7);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = arena.allocate(AddressCodec.STORAGE_SIZE);
            assertEquals(28, AddressCodec.encode(a, AddressCodec.AF_INET6, m));
            assertEquals(AddressCodec.AF_INET6, m.get(ValueLayout.JAVA_SHORT, 0));
            assertEquals(a, AddressCodec.decode(m, 28));
        }
        assertThrows(IllegalArgumentException.class, () -> roundTrip(new InetSocketAddress("::1", 1), AddressCodec.AF_INET));
        assertThrows(IllegalArgumentException.class, () -> roundTrip(UnixDomainSocketAddress.of("/x"), AddressCodec.AF_INET));
    }

    @Test
    void unixNamesRoundTripAbstractBytesIncludingNul() {
        assertEquals(UnixDomainSocketAddress.of("/tmp/a.sock"), roundTrip(UnixDomainSocketAddress.of("/tmp/a.sock"), AddressCodec.AF_UNIX));
        AbstractName withNul = AbstractName.ofBytes(new byte[] {'a', 0, 'b'});
        assertEquals(withNul, roundTrip(withNul, AddressCodec.AF_UNIX));
        assertEquals("@0x610062", withNul.toString());
        assertEquals("@svc", AbstractName.of("svc").toString());
        // An unnamed peer: the kernel reports just the family, or nothing at all.
        MemorySegment familyOnly = MemorySegment.ofArray(new byte[2]);
        familyOnly.set(ValueLayout.JAVA_SHORT_UNALIGNED, 0, (short) AddressCodec.AF_UNIX);
        assertEquals(UnixDomainSocketAddress.of(""), AddressCodec.decode(familyOnly, 2));
        assertEquals(UnixDomainSocketAddress.of(""), AddressCodec.decode(familyOnly, 0));
        String max = "p".repeat(107);
        assertEquals(UnixDomainSocketAddress.of(max), roundTrip(UnixDomainSocketAddress.of(max), AddressCodec.AF_UNIX));
        assertThrows(IllegalArgumentException.class, () -> roundTrip(UnixDomainSocketAddress.of(max + "p"), AddressCodec.AF_UNIX));
        assertThrows(IllegalArgumentException.class, () -> AbstractName.ofBytes(new byte[0]));
    }
}
