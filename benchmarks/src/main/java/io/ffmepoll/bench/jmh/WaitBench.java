package io.ffmepoll.bench.jmh;

import io.ffmepoll.epoll.Epoll;
import io.ffmepoll.epoll.EventArray;
import io.ffmepoll.epoll.Interest;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.function.Consumer;

/**
 * A non-blocking poll of 64 registered pipes of which 0, 1 or 64 hold a byte (level-triggered,
 * so they stay ready): {@code epoll_wait(0)} through {@link Epoll} against
 * {@code Selector.selectNow(Consumer)}, each visiting every ready entry.
 */
public class WaitBench extends BenchBase {

    private static final int REGISTERED = 64;

    @State(Scope.Thread)
    public static class EpollState {
        @Param({"0", "1", "64"})
        public int ready;
        Epoll epoll;
        EventArray events;
        io.ffmepoll.epoll.Pipe[] pipes = new io.ffmepoll.epoll.Pipe[REGISTERED];

        @Setup(Level.Trial)
        public void open() throws IOException {
            epoll = Epoll.open();
            events = EventArray.allocate(REGISTERED);
            MemorySegment one = Arena.global().allocate(1);
            for (int i = 0; i < REGISTERED; i++) {
                pipes[i] = io.ffmepoll.epoll.Pipe.open();
                epoll.add(pipes[i].source(), Interest.IN, i);
                if (i < ready) pipes[i].sink().write(one);
            }
        }

        @TearDown(Level.Trial)
        public void close() {
            for (io.ffmepoll.epoll.Pipe p : pipes) p.close();
            events.close();
            epoll.close();
        }
    }

    @State(Scope.Thread)
    public static class SelectorState {
        @Param({"0", "1", "64"})
        public int ready;
        Selector selector;
        Pipe[] pipes = new Pipe[REGISTERED];
        Blackhole bh;
        final Consumer<SelectionKey> visit = k -> bh.consume(k.attachment());

        @Setup(Level.Trial)
        public void open(Blackhole bh) throws IOException {
            this.bh = bh;
            selector = Selector.open();
            for (int i = 0; i < REGISTERED; i++) {
                pipes[i] = Pipe.open();
                pipes[i].source().configureBlocking(false);
                pipes[i].source().register(selector, SelectionKey.OP_READ, i);
                if (i < ready) pipes[i].sink().write(ByteBuffer.wrap(new byte[] {1}));
            }
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            selector.close();
            for (Pipe p : pipes) {
                p.source().close();
                p.sink().close();
            }
        }
    }

    @Benchmark
    public long epollWait0(EpollState s) throws IOException {
        int n = s.epoll.wait(s.events, 0);
        long sum = 0;
        for (int i = 0; i < n; i++) sum += s.events.token(i) + s.events.events(i);
        return sum;
    }

    @Benchmark
    public int selectorSelectNow(SelectorState s) throws IOException {
        return s.selector.selectNow(s.visit);
    }
}
