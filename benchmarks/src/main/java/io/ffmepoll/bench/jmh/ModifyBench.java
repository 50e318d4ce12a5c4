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
import java.net.InetSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * Changing a registration's interest, as a reactor does when a write comes up short and again
 * when it drains: {@code Epoll.modify} (one {@code epoll_ctl(MOD)}), the same followed by a
 * {@code wait(0)}, and the NIO way, {@code interestOps} which only takes effect in the next
 * {@code selectNow} (that is where NIO issues its epoll_ctl). Interest toggles between read and
 * read+write each call; the descriptors are always writable, so the write half reports ready.
 */
@State(Scope.Thread)
public class ModifyBench extends BenchBase {

    private static final Interest READ = Interest.IN;
    private static final Interest READ_WRITE = Interest.IN.with(Interest.OUT);

    Epoll epoll;
    EventArray events;
    EventFd efd;
    boolean epollToggle;

    Selector selector;
    ServerSocketChannel listener;
    SocketChannel client;
    SocketChannel accepted;
    SelectionKey key;
    boolean nioToggle;

    @Setup(Level.Trial)
    public void open() throws IOException {
        epoll = Epoll.open();
        events = EventArray.allocate(4);
        efd = EventFd.open();
        epoll.add(efd, READ, 1);
        selector = Selector.open();
        listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        client = SocketChannel.open(listener.getLocalAddress());
        accepted = listener.accept();
        client.configureBlocking(false);
        key = client.register(selector, SelectionKey.OP_READ);
        selector.selectNow();
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        efd.close();
        events.close();
        epoll.close();
        selector.close();
        client.close();
        accepted.close();
        listener.close();
    }

    @Benchmark
    public void epollModify() throws IOException {
        epollToggle = !epollToggle;
        epoll.modify(efd, epollToggle ? READ_WRITE : READ, 1);
    }

    @Benchmark
    public int epollModifyThenWait0() throws IOException {
        epollToggle = !epollToggle;
        epoll.modify(efd, epollToggle ? READ_WRITE : READ, 1);
        return epoll.wait(events, 0);
    }

    @Benchmark
    public int selectorInterestOpsThenSelectNow() throws IOException {
        nioToggle = !nioToggle;
        key.interestOps(nioToggle ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ);
        int n = selector.selectNow();
        selector.selectedKeys().clear();
        return n;
    }
}
