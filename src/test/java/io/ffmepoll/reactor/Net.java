package io.ffmepoll.reactor;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Random;

/** Blocking JDK client sockets for driving the reactor from the test thread. */
final class Net {
    private Net() {}

    static Socket connect(int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        s.setSoTimeout(10_000);
        return s;
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static byte[] readFully(InputStream in, int n) throws IOException {
        byte[] b = new byte[n];
        int off = 0;
        while (off < n) {
            int r = in.read(b, off, n - off);
            if (r < 0) throw new IOException("EOF after " + off + " of " + n + " bytes");
            off += r;
        }
        return b;
    }

    static Reactor.Builder small() {
        return Reactor.builder().loops(2).threadName("test-loop").closeGrace(java.time.Duration.ofSeconds(2));
    }
}
