package io.ffmepoll.socket;

import io.ffmepoll.epoll.Descriptor;
import io.ffmepoll.epoll.Pipe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class CloseRaceTest {

    /**
     * A socket closed by one thread while another hammers it must end that thread's loop with
     * IllegalStateException, never with EBADF or with I/O on a recycled fd number (the reused
     * numbers are pipes here, so reading one through the socket would not throw at all).
     */
    @Test
    void closeRacingWithIoEndsInIllegalStateNotARecycledFd() throws Exception {
        for (int round = 0; round < 50; round++) {
            UnixStream[] p = UnixStream.pair();
            UnixStream victim = p[0];
            CompletableFuture<Throwable> loop = CompletableFuture.supplyAsync(() -> {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment buf = arena.allocate(64);
                    for (long i = 0; i < 10_000_000L; i++) {
                        int n = victim.read(buf);
                        if (n != Descriptor.WOULD_BLOCK) return new AssertionError("read " + n);
                    }
                    return new AssertionError("never saw the close");
                } catch (Throwable t) {
                    return t;
                }
            });
            Thread.sleep(1);
            victim.close();
            // Grab low fd numbers right away, so a stale number would now name a pipe.
            List<Pipe> squatters = new ArrayList<>();
            for (int i = 0; i < 4; i++) squatters.add(Pipe.open());
            Throwable t = loop.get(10, TimeUnit.SECONDS);
            squatters.forEach(Pipe::close);
            p[1].close();
            assertInstanceOf(IllegalStateException.class, t, "round " + round + ": " + t);
            assertTrue(t.getMessage().contains("closed"), t.getMessage());
        }
    }
}
