package io.ffmepoll.bench.jmh;

import io.ffmepoll.epoll.EventFd;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.io.IOException;

/**
 * What capturing errno costs: an eventfd read on an empty counter fails with EAGAIN (errno is
 * captured into the per-thread scratch and turned into the value 0), against an eventfd write
 * that succeeds. Both are one 8-byte syscall on an eventfd.
 */
@State(Scope.Thread)
public class ErrnoBench extends BenchBase {

    EventFd empty;
    EventFd counter;

    @Setup(Level.Trial)
    public void open() throws IOException {
        empty = EventFd.open();
        counter = EventFd.open();
    }

    @TearDown(Level.Trial)
    public void close() {
        empty.close();
        counter.close();
    }

    @Benchmark
    public long failingReadEagain() throws IOException {
        return empty.read();
    }

    @Benchmark
    public boolean succeedingSignal() throws IOException {
        // The counter only grows; 2^64-2 is out of reach of any run.
        return counter.signal(1);
    }

    @TearDown(Level.Iteration)
    public void drain() throws IOException {
        counter.read();
    }
}
