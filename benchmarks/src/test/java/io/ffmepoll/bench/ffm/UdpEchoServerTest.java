package io.ffmepoll.bench.ffm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.fail;

/** {@code FfmServer --proto udp-echo}: each datagram comes back whole, as one datagram. */
class UdpEchoServerTest {

    @RegisterExtension
    static final SharedServer server = new SharedServer("udp-echo", 1);

    /**
     * 1,000 ping-pongs of varying sizes: one request in flight at a time, so loopback drops
     * nothing and any loss, merge, split or truncation is the server's.
     */
    @Test
    void thousandDatagramsPingPongKeepTheirBoundaries() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            try (DatagramSocket s = client()) {
                byte[] buf = new byte[65_536];
                for (int i = 0; i < 1000; i++) {
                    byte[] m = Wire.pattern(1 + (i * 577) % 8000, i);
                    s.send(new DatagramPacket(m, m.length));
                    DatagramPacket p = receive(s, buf, "reply " + i);
                    assertEquals(m.length, p.getLength(), "size of reply " + i);
                    Wire.assertSame(m, Arrays.copyOf(buf, p.getLength()), "reply " + i);
                }
            }
        });
    }

    /** A short burst: replies stay separate datagrams, one per request, sizes intact. */
    @Test
    void burstOfDatagramsIsNotMergedOrSplit() {
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            try (DatagramSocket s = client()) {
                int[] sizes = {1, 1472, 3, 9000, 64, 65_507};   // up to the largest IPv4 UDP payload
                for (int i = 0; i < sizes.length; i++) {
                    byte[] m = Wire.pattern(sizes[i], 100 + i);
                    s.send(new DatagramPacket(m, m.length));
                }
                byte[] buf = new byte[65_536];
                for (int i = 0; i < sizes.length; i++) {
                    DatagramPacket p = receive(s, buf, "burst reply " + i);
                    assertEquals(sizes[i], p.getLength(), "size of burst reply " + i);
                    Wire.assertSame(Wire.pattern(sizes[i], 100 + i), Arrays.copyOf(buf, p.getLength()),
                            "burst reply " + i);
                }
            }
        });
    }

    private static DatagramSocket client() throws Exception {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
        s.connect(new InetSocketAddress("127.0.0.1", server.port()));
        s.setSoTimeout(Wire.TIMEOUT_MS);
        s.setReceiveBufferSize(1 << 20);
        s.setSendBufferSize(1 << 20);
        return s;
    }

    private static DatagramPacket receive(DatagramSocket s, byte[] buf, String what) throws Exception {
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        try {
            s.receive(p);
        } catch (SocketTimeoutException e) {
            fail(what + ": nothing within " + Wire.TIMEOUT_MS + " ms");
        }
        return p;
    }
}
