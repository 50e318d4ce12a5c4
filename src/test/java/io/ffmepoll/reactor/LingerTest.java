package io.ffmepoll.reactor;

import io.ffmepoll.epoll.Descriptor;
import io.ffmepoll.socket.Option;
import io.ffmepoll.socket.TcpListener;
import io.ffmepoll.socket.TcpStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A connection with SO_LINGER > 0 and unsent data made its loop's close(2) block for the linger
 * time: every other connection on that loop went unserved meanwhile.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LingerTest {

    static final int LINGER_SECONDS = 3;

    static TcpStream accept(TcpListener listener) throws Exception {
        for (int i = 0; i < 500; i++) {
            TcpStream s = listener.accept();
            if (s != null) return s;
            Thread.sleep(10);
        }
        throw new AssertionError("nothing to accept");
    }

    @Test
    void loopKeepsServingWhileALingeringConnectionCloses() throws Exception {
        try (Reactor reactor = Reactor.builder().loops(1).threadName("linger-loop").linger(Duration.ZERO).build();
             Listener echo = reactor.listen(new InetSocketAddress("127.0.0.1", 0), Echo::new);
             Socket other = Net.connect(echo.port());
             TcpListener plain = TcpListener.bind(new InetSocketAddress("127.0.0.1", 0), 4, Option.SO_RCVBUF.of(4096));
             Arena arena = Arena.ofConfined()) {
            byte[] ping = {1, 2, 3, 4};
            other.getOutputStream().write(ping);
            assertArrayEquals(ping, Net.readFully(other.getInputStream(), 4), "the loop serves");

            // A connection whose peer reads nothing, with unsent data in the kernel and SO_LINGER.
            TcpStream lingerer = TcpStream.connect(plain.localAddress(), Option.SO_SNDBUF.of(4096));
            TcpStream silentPeer = accept(plain);
            assertTrue(lingerer.finishConnect());
            lingerer.setOption(Option.SO_LINGER, LINGER_SECONDS);
            MemorySegment block = arena.allocate(64 * 1024);
            for (int i = 0; i < 10_000 && lingerer.write(block) != Descriptor.WOULD_BLOCK; i++) { }
            int fd = lingerer.fd();

            long start = System.nanoTime();
            reactor.register(lingerer, new Handler() {
                @Override
                public void onOpen(Connection c) {
                    c.close();   // on the loop thread: its queue is empty, so the socket closes now
                }

                @Override
                public void onRead(Connection c, MemorySegment data) { }
            });
            other.getOutputStream().write(ping);
            assertArrayEquals(ping, Net.readFully(other.getInputStream(), 4));
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(tookMillis < 1_000, "the other connection waited " + tookMillis + " ms");

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(LINGER_SECONDS + 10);
            while (Files.exists(Path.of("/proc/self/fd/" + fd)) && System.nanoTime() < deadline) Thread.sleep(20);
            assertFalse(Files.exists(Path.of("/proc/self/fd/" + fd)), "the lingering socket was never closed");
            silentPeer.close();
        }
    }
}
