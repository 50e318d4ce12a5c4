package io.ffmepoll.bench.jmh;

import io.ffmepoll.epoll.Epoll;
import io.ffmepoll.epoll.EventArray;
import io.ffmepoll.epoll.EventFd;
import io.ffmepoll.epoll.Interest;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.io.IOException;
import java.nio.channels.Selector;

/**
 * One wake-up of an event loop, end to end on one thread (so the number is syscall cost, not
 * scheduler latency): signal an eventfd, collect it from {@code epoll_wait}, drain the counter;
 * against {@code Selector.wakeup()} followed by the {@code select()} it cuts short.
 */
@State(Scope.Thread)
public class WakeBench extends BenchBase {

    Epoll epoll;
    EventArray events;
    EventFd efd;
    Selector selector;

    @Setup(Level.Trial)
    public void open() throws IOException {
        epoll = Epoll.open();
        events = EventArray.allocate(4);
        efd = EventFd.open();
        epoll.add(efd, Interest.IN, 7);
        selector = Selector.open();
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        efd.close();
        events.close();
        epoll.close();
        selector.close();
    }

    @Benchmark
    public long eventFdWakeRoundTrip() throws IOException {
        efd.signal(1);
        int n = epoll.wait(events, -1);
        return n + efd.read();
    }

    @Benchmark
    public int selectorWakeupSelect() throws IOException {
        selector.wakeup();
        return selector.select();
    }
}
