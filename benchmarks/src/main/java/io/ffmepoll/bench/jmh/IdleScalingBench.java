package io.ffmepoll.bench.jmh;

import io.ffmepoll.epoll.Epoll;
import io.ffmepoll.epoll.EventArray;
import io.ffmepoll.epoll.EventFd;
import io.ffmepoll.epoll.Interest;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.channels.Pipe;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;

/**
 * Cost of a non-blocking poll as idle registrations pile up, one descriptor ready throughout.
 * epoll keeps a ready list, so its cost should stay flat; poll(2) walks every descriptor; the
 * NIO Selector is epoll underneath but has its own per-key bookkeeping. Idle descriptors are
 * eventfds with a zero counter for epoll and poll, bound UDP sockets with nothing queued for
 * the Selector (it accepts only selectable channels; one descriptor each, never readable).
 */
public class IdleScalingBench extends BenchBase {

    @State(Scope.Thread)
    public static class EpollState {
        @Param({"0", "100", "1000", "10000"})
        public int idle;
        Epoll epoll;
        EventArray events;
        EventFd[] fds;

        @Setup(Level.Trial)
        public void open() throws IOException {
            epoll = Epoll.open();
            events = EventArray.allocate(16);
            fds = new EventFd[idle + 1];
            for (int i = 0; i <= idle; i++) {
                fds[i] = EventFd.open();
                epoll.add(fds[i], Interest.IN, i);
            }
            fds[idle].signal(1);
        }

        @TearDown(Level.Trial)
        public void close() {
            for (EventFd f : fds) f.close();
            events.close();
            epoll.close();
        }
    }

    @State(Scope.Thread)
    public static class SelectorState {
        @Param({"0", "100", "1000", "10000"})
        public int idle;
        Selector selector;
        DatagramChannel[] channels;
        Pipe ready;

        @Setup(Level.Trial)
        public void open() throws IOException {
            selector = Selector.open();
            channels = new DatagramChannel[idle];
            for (int i = 0; i < idle; i++) {
                channels[i] = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
                channels[i].configureBlocking(false);
                channels[i].register(selector, SelectionKey.OP_READ);
            }
            ready = Pipe.open();
            ready.source().configureBlocking(false);
            ready.source().register(selector, SelectionKey.OP_READ);
            ready.sink().write(ByteBuffer.wrap(new byte[] {1}));
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            selector.close();
            for (DatagramChannel c : channels) c.close();
            ready.source().close();
            ready.sink().close();
        }
    }

    /** poll(2) called directly through the FFM linker: the baseline that scans every fd. */
    @State(Scope.Thread)
    public static class PollState {
        private static final MethodHandle POLL = Linker.nativeLinker().downcallHandle(
                Linker.nativeLinker().defaultLookup().find("poll").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
        private static final short POLLIN = 1;

        @Param({"0", "100", "1000", "10000"})
        public int idle;
        EventFd[] fds;
        Arena arena;
        MemorySegment pollfds;

        @Setup(Level.Trial)
        public void open() throws IOException {
            fds = new EventFd[idle + 1];
            arena = Arena.ofConfined();
            // struct pollfd { int fd; short events; short revents; }
            pollfds = arena.allocate(8L * (idle + 1), 4);
            for (int i = 0; i <= idle; i++) {
                fds[i] = EventFd.open();
                pollfds.set(ValueLayout.JAVA_INT, 8L * i, fds[i].fd());
                pollfds.set(ValueLayout.JAVA_SHORT, 8L * i + 4, POLLIN);
            }
            fds[idle].signal(1);
        }

        @TearDown(Level.Trial)
        public void close() {
            for (EventFd f : fds) f.close();
            arena.close();
        }

        int poll() {
            try {
                return (int) POLL.invokeExact(pollfds, (long) (idle + 1), 0);
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }
    }

    @Benchmark
    public int epollWait0(EpollState s) throws IOException {
        return s.epoll.wait(s.events, 0);
    }

    @Benchmark
    public int selectorSelectNow(SelectorState s) throws IOException {
        int n = s.selector.selectNow();
        s.selector.selectedKeys().clear();
        return n;
    }

    @Benchmark
    public int poll0(PollState s) {
        return s.poll();
    }
}
