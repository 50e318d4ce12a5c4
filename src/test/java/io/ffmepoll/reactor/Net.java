package io.ffmepoll.reactor;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Blocking JDK client sockets for driving the reactor from the test thread. */
public final class Net {
    private Net() {}

    public static Socket connect(int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        s.setSoTimeout(10_000);
        return s;
    }

    public static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    public static byte[] readFully(InputStream in, int n) throws IOException {
        byte[] b = new byte[n];
        int off = 0;
        while (off < n) {
            int r = in.read(b, off, n - off);
            if (r < 0) throw new IOException("EOF after " + off + " of " + n + " bytes");
            off += r;
        }
        return b;
    }

    public static Reactor.Builder small() {
        return Reactor.builder().loops(2).threadName("test-loop").closeGrace(java.time.Duration.ofSeconds(2));
    }

    /** This process's open descriptors and what each refers to, from /proc/self/fd. */
    static Map<Integer, String> fds() throws IOException {
        Map<Integer, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            for (Path p : (Iterable<Path>) s::iterator) {
                try {
                    String target = Files.readSymbolicLink(p).toString();
                    // the listing's own descriptor: /proc/<pid>/fd
                    if (!(target.startsWith("/proc/") && target.endsWith("/fd"))) {
                        m.put(Integer.parseInt(p.getFileName().toString()), target);
                    }
                } catch (IOException gone) {
                    // closed since the listing was read
                }
            }
        }
        return m;
    }

    /**
     * Waits up to 5 s for the descriptor table to equal {@code expected} (the loop closes on its
     * own time); returns what it last saw.
     */
    static Map<Integer, String> awaitFds(Map<Integer, String> expected) throws IOException, InterruptedException {
        Map<Integer, String> now = fds();
        for (int i = 0; i < 500 && !now.equals(expected); i++) {
            Thread.sleep(10);
            now = fds();
        }
        return now;
    }

    /** Waits up to 10 s for {@code latch}; for tasks that hold a loop (no checked exception). */
    static void awaitQuietly(java.util.concurrent.CountDownLatch latch) {
        try {
            latch.await(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
