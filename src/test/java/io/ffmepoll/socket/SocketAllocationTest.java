package io.ffmepoll.socket;

import io.ffmepoll.epoll.AllocationTest;
import io.ffmepoll.epoll.Descriptor;
import io.ffmepoll.epoll.Pipe;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Steady-state socket calls allocate nothing on the Java heap beyond what they return. */
class SocketAllocationTest {

    /** Each receiveDescriptors allocated an int[253] (1,032 bytes) even when none arrived. */
    @Test
    void receiveDescriptorsAllocatesNoScratchArray() throws Exception {
        UnixStream[] p = UnixStream.pair();
        try (UnixStream a = p[0]; UnixStream b = p[1]; Arena arena = Arena.ofConfined()) {
            MemorySegment one = arena.allocate(1);
            MemorySegment buf = arena.allocate(16);
            List<ReceivedDescriptor> fds = new ArrayList<>();
            double perCall = AllocationTest.bytesPerOp(() -> {
                a.write(one);
                if (b.receiveDescriptors(buf, fds) != 1) throw new AssertionError();
            });
            assertTrue(perCall < 0.01, perCall + " bytes per receiveDescriptors");
            assertEquals(0, fds.size());
        }
    }

    /** Each sendDescriptors allocated a Descriptor[] to remember what it held. */
    @Test
    void sendDescriptorsAllocatesNothing() throws Exception {
        UnixStream[] p = UnixStream.pair();
        try (UnixStream a = p[0]; UnixStream b = p[1]; Pipe pipe = Pipe.open(); Arena arena = Arena.ofConfined()) {
            MemorySegment one = arena.allocate(1);
            MemorySegment buf = arena.allocate(16);
            Descriptor[] fds = {pipe.sink(), pipe.source()};
            double perCall = AllocationTest.bytesPerOp(() -> {
                if (a.sendDescriptors(one, fds) != 1) throw new AssertionError();
                if (b.read(buf) != 1) throw new AssertionError();   // the kernel closes the copies
            });
            assertTrue(perCall < 0.01, perCall + " bytes per sendDescriptors");
        }
    }

    /** Each encode of an IP address copied its bytes (InetAddress.getAddress clones). */
    @Test
    void sendingToAlternatingAddressesAllocatesNothing() throws Exception {
        try (UdpSocket sender = UdpSocket.bind(new InetSocketAddress("127.0.0.1", 0));
             UdpSocket receiver = UdpSocket.bind(new InetSocketAddress("127.0.0.1", 0));
             Arena arena = Arena.ofConfined()) {
            InetSocketAddress target = receiver.localAddress();
            // Equal addresses, distinct objects: the socket's last-target cache does not apply.
            SocketAddress[] targets = {target, new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), target.getPort())};
            MemorySegment one = arena.allocate(1);
            MemorySegment buf = arena.allocate(16);
            int[] i = {0};
            double perCall = AllocationTest.bytesPerOp(() -> {
                if (sender.send(one, targets[i[0]++ & 1]) != 1) throw new AssertionError();
                if (receiver.receive(buf) != 1) throw new AssertionError();
            });
            assertTrue(perCall < 0.01, perCall + " bytes per send to a new address object");
        }
    }
}
