package io.ffmepoll.socket;

import io.ffmepoll.epoll.Descriptor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * With SO_LINGER > 0, close(2) blocks until the unsent data is acknowledged or the linger time
 * runs out, even on a non-blocking socket: measured 2,082 ms on a caller's thread (possibly an
 * event loop's). No caller of the library may block there.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LingeringCloseTest {

    static final int LINGER_SECONDS = 3;
    static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);

    /** Writes until the kernel takes no more: the peer reads nothing, so the data stays unsent. */
    static long fill(StreamSocket s, Arena arena) throws Exception {
        MemorySegment block = arena.allocate(64 * 1024);
        long queued = 0;
        for (int i = 0; i < 10_000; i++) {
            int n = s.write(block);
            if (n == Descriptor.WOULD_BLOCK) return queued;
            queued += n;
        }
        throw new AssertionError("the send buffer never filled");
    }

    static boolean fdOpen(int fd) {
        return Files.exists(Path.of("/proc/self/fd/" + fd));
    }

    /** Waits (bounded) for the kernel's close of {@code fd}, which the linger time delays. */
    static void awaitClosed(int fd) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(LINGER_SECONDS + 10);
        while (fdOpen(fd) && System.nanoTime() < deadline) Thread.sleep(20);
        assertFalse(fdOpen(fd), "fd " + fd + " was never closed");
    }

    @Test
    void lingeringCloseDoesNotBlockTheCaller() throws Exception {
        try (TcpListener listener = TcpListener.bind(LOOPBACK, 4, Option.SO_RCVBUF.of(4096));
             TcpStream client = TcpStream.connect(listener.localAddress(), Option.SO_SNDBUF.of(4096));
             TcpStream server = NioInteropTest.acceptWithin(listener); Arena arena = Arena.ofConfined()) {
            assertTrue(client.finishConnect());
            client.setOption(Option.SO_LINGER, LINGER_SECONDS);
            assertTrue(fill(client, arena) > 0);
            int fd = client.fd();
            long start = System.nanoTime();
            client.close();
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(tookMillis < 500, "close() blocked for " + tookMillis + " ms");
            assertFalse(client.isOpen());
            awaitClosed(fd);
        }
    }

    /** Linux copies SO_LINGER from a listener to the sockets it accepts. */
    @Test
    void acceptedSocketInheritsLingerAndStillClosesWithoutBlocking() throws Exception {
        try (TcpListener listener = TcpListener.bind(LOOPBACK, 4, Option.SO_SNDBUF.of(4096),
                Option.SO_LINGER.of(LINGER_SECONDS));
             TcpStream client = TcpStream.connect(listener.localAddress(), Option.SO_RCVBUF.of(4096));
             Arena arena = Arena.ofConfined()) {
            TcpStream server = NioInteropTest.acceptWithin(listener);
            assertEquals(LINGER_SECONDS, server.getOption(Option.SO_LINGER), "inherited from the listener");
            assertTrue(fill(server, arena) > 0);
            int fd = server.fd();
            long start = System.nanoTime();
            server.close();
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(tookMillis < 500, "close() blocked for " + tookMillis + " ms");
            awaitClosed(fd);
        }
    }
}
