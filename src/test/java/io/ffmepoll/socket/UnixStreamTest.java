package io.ffmepoll.socket;

import io.ffmepoll.epoll.Descriptor;
import io.ffmepoll.epoll.Epoll;
import io.ffmepoll.epoll.Errors;
import io.ffmepoll.epoll.EventArray;
import io.ffmepoll.epoll.Interest;
import io.ffmepoll.epoll.NativeIOException;
import io.ffmepoll.epoll.Pipe;
import io.ffmepoll.internal.sys.IoScratch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class UnixStreamTest {

    @TempDir
    Path dir;

    static AbstractName uniqueName() {
        return AbstractName.of("ffm-epoll-test-" + ProcessHandle.current().pid() + "-" + ThreadLocalRandom.current().nextLong());
    }

    /** Connects to {@code listener} at {@code address} and accepts, waiting (bounded) with epoll. */
    static UnixStream[] connect(UnixListener listener, SocketAddress address) throws Exception {
        UnixStream client = UnixStream.connect(address);
        try (Epoll epoll = Epoll.open(); EventArray events = EventArray.allocate(2)) {
            epoll.add(listener, Interest.IN, 0);
            for (int i = 0; i < 50; i++) {
                UnixStream server = listener.accept();
                if (server != null) {
                    assertTrue(client.finishConnect());
                    return new UnixStream[] {client, server};
                }
                epoll.wait(events, 100);
            }
        }
        client.close();
        return fail("no connection to accept");
    }

    static boolean listedInProcNetUnix(String text) throws IOException {
        return Files.readString(Path.of("/proc/net/unix")).contains(text);
    }

    @Test
    void filesystemListenerCreatesItsFileAndRemovesItOnClose() throws Exception {
        Path path = dir.resolve("s.sock");
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(path);
        try (UnixListener listener = UnixListener.bind(address, 16)) {
            assertTrue(Files.exists(path), "bind creates the socket file");
            assertEquals(address, listener.localAddress());
            UnixStream[] p = connect(listener, address);
            try (UnixStream client = p[0]; UnixStream server = p[1]) {
                assertEquals(address, client.peerAddress());
                assertEquals(UnixDomainSocketAddress.of(""), client.localAddress(), "a connecting socket is unnamed");
            }
        }
        assertFalse(Files.exists(path), "close removes the socket file");
    }

    @Test
    void closeLeavesAFileThatReplacedTheSocketAlone() throws Exception {
        Path path = dir.resolve("r.sock");
        UnixListener listener = UnixListener.bind(UnixDomainSocketAddress.of(path), 16);
        Files.delete(path);
        Files.writeString(path, "someone else's");
        listener.close();
        assertEquals("someone else's", Files.readString(path));
    }

    @Test
    void aLeftoverFileMakesBindFailWithAddressInUse() throws Exception {
        Path path = dir.resolve("stale.sock");
        Files.createFile(path);
        NativeIOException e = assertThrows(NativeIOException.class,
                () -> UnixListener.bind(UnixDomainSocketAddress.of(path), 16));
        assertEquals(Errors.EADDRINUSE, e.errno());
        assertTrue(Files.exists(path), "a failed bind must not remove a file it did not create");
    }

    @Test
    void abstractNameLeavesNoFileBehind() throws Exception {
        AbstractName name = uniqueName();
        String[] before = dir.toFile().list();
        try (UnixListener listener = UnixListener.bind(name, 16)) {
            assertEquals(name, listener.localAddress());
            assertTrue(listedInProcNetUnix("@" + name.name()), "bound in the abstract namespace");
            UnixStream[] p = connect(listener, name);
            try (UnixStream client = p[0]; UnixStream server = p[1]) {
                client.setOption(Option.SO_SNDBUF, 4096);
                server.setOption(Option.SO_SNDBUF, 4096);
                Pump.exchange(client, Pump.Style.SEGMENT, server, Pump.Style.HEAP_ARRAY, 8L << 20);
            }
        }
        assertFalse(listedInProcNetUnix("@" + name.name()), "the name vanishes with the socket");
        assertFalse(Files.exists(Path.of(name.name())));
        assertEquals(before.length, dir.toFile().list().length);
    }

    @Test
    void eightMebibytesCrossASmallSendBufferOverAFilesystemSocket() throws Exception {
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(dir.resolve("big.sock"));
        try (UnixListener listener = UnixListener.bind(address, 16)) {
            UnixStream[] p = connect(listener, address);
            try (UnixStream client = p[0]; UnixStream server = p[1]) {
                client.setOption(Option.SO_SNDBUF, 4096);
                server.setOption(Option.SO_SNDBUF, 4096);
                int waits = Pump.exchange(client, Pump.Style.VECTOR, server, Pump.Style.DIRECT_BUFFER, 8L << 20);
                assertTrue(waits > 100, "only " + waits + " waits");
            }
        }
    }

    @Test
    void socketPairCarriesEightMebibytesWithHeapBuffers() throws Exception {
        UnixStream[] p = UnixStream.pair();
        try (UnixStream a = p[0]; UnixStream b = p[1]) {
            a.setOption(Option.SO_SNDBUF, 4096);
            Pump.exchange(a, Pump.Style.HEAP_BUFFER, b, Pump.Style.SEGMENT, 8L << 20);
        }
    }

    @Test
    void aHeapReadLargerThanTheStagingBufferStillTakesEverythingQueued() throws Exception {
        UnixStream[] p = UnixStream.pair();
        try (UnixStream a = p[0]; UnixStream b = p[1]; Arena arena = Arena.ofConfined()) {
            a.setOption(Option.SO_SNDBUF, 1 << 20);
            MemorySegment out = Pump.pattern(arena, 300_000);
            int queued = a.write(out);
            assertTrue(queued > IoScratch.STAGING_SIZE, "only " + queued + " queued");
            byte[] in = new byte[1 << 20];
            // Under EPOLLET a short read is taken to mean "drained": it must not stop at 64 KiB.
            assertEquals(queued, b.read(in, 0, in.length));
            assertEquals(-1, MemorySegment.ofArray(in).asSlice(0, queued).mismatch(out.asSlice(0, queued)));
            assertEquals(Descriptor.WOULD_BLOCK, b.read(in, 0, in.length));
        }
    }

    @Test
    void vectorsBeyondOneCallStillMoveEverythingTheSocketTakes() throws Exception {
        UnixStream[] p = UnixStream.pair();
        try (UnixStream a = p[0]; UnixStream b = p[1]; Arena arena = Arena.ofConfined()) {
            a.setOption(Option.SO_SNDBUF, 1 << 20);
            b.setOption(Option.SO_RCVBUF, 1 << 20);
            // 2000 parts (over UIO_MAXIOV), every other one on the heap.
            MemorySegment pattern = Pump.pattern(arena, 2000 * 64);
            MemorySegment[] out = new MemorySegment[2000];
            for (int i = 0; i < out.length; i++) {
                MemorySegment slice = pattern.asSlice(i * 64L, 64);
                out[i] = i % 2 == 0 ? slice : MemorySegment.ofArray(slice.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            }
            assertEquals(2000 * 64, a.write(out, 0, out.length));
            // Heap parts totalling more than the staging buffer, and more parts than UIO_MAXIOV.
            MemorySegment[] in = new MemorySegment[1500];
            for (int i = 0; i < in.length; i++) in[i] = MemorySegment.ofArray(new byte[100]);
            assertEquals(2000 * 64, b.read(in, 0, in.length));
            for (int i = 0; i < 1280; i++) {
                assertEquals(-1, in[i].mismatch(pattern.asSlice(i * 100L, 100)), "part " + i);
            }
            assertEquals(Descriptor.WOULD_BLOCK, b.read(in, 0, in.length));
        }
    }

    @Test
    void readingIntoReadOnlyMemoryIsRefused() throws Exception {
        UnixStream[] p = UnixStream.pair();
        try (UnixStream a = p[0]; UnixStream b = p[1]; Arena arena = Arena.ofConfined()) {
            a.write(arena.allocate(4));
            assertThrows(IllegalArgumentException.class, () -> b.read(arena.allocate(4).asReadOnly()));
            assertThrows(IllegalArgumentException.class, () -> b.read(java.nio.ByteBuffer.allocateDirect(4).asReadOnlyBuffer()));
            assertEquals(4, b.read(arena.allocate(4)), "nothing was consumed");
        }
    }

    @Test
    void halfCloseIsEndOfStreamWhileTheOtherDirectionStillWorks() throws Exception {
        UnixStream[] p = UnixStream.pair();
        try (UnixStream a = p[0]; UnixStream b = p[1]; Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(16);
            assertEquals(3, a.write(MemorySegment.ofArray("abc".getBytes())));
            a.shutdownOutput();
            assertEquals(3, b.read(buf));
            assertEquals(Descriptor.EOF, b.read(buf));
            assertEquals(2, b.write(MemorySegment.ofArray("ok".getBytes())));
            assertEquals(2, a.read(buf));
            assertEquals(Descriptor.WOULD_BLOCK, a.read(buf));
        }
    }

    @Test
    void connectingToAMissingPathOrADeadSocketFailsClearly() throws Exception {
        Path path = dir.resolve("dead.sock");
        assertEquals(Errors.ENOENT, assertThrows(NativeIOException.class,
                () -> UnixStream.connect(UnixDomainSocketAddress.of(path))).errno());
        // A socket file nobody listens on any more: move it away before the listener's close
        // (which only removes the file at the path it bound).
        Path moved = dir.resolve("moved.sock");
        try (UnixListener listener = UnixListener.bind(UnixDomainSocketAddress.of(path), 1)) {
            Files.move(path, moved);
        }
        assertTrue(Files.exists(moved));
        assertEquals(Errors.ECONNREFUSED, assertThrows(NativeIOException.class,
                () -> UnixStream.connect(UnixDomainSocketAddress.of(moved))).errno());
        assertEquals(Errors.ECONNREFUSED, assertThrows(NativeIOException.class,
                () -> UnixStream.connect(uniqueName())).errno());
    }

    @Test
    void tooLongAPathIsRejectedBeforeTheKernelSeesIt() {
        String longName = "x".repeat(120);
        assertThrows(IllegalArgumentException.class, () -> UnixListener.bind(UnixDomainSocketAddress.of(longName), 1));
        assertThrows(IllegalArgumentException.class, () -> AbstractName.of(longName));
    }

    @Test
    void aPassedPipeEndIsUsableByTheReceiver() throws Exception {
        UnixStream[] p = UnixStream.pair();
        try (UnixStream a = p[0]; UnixStream b = p[1]; Pipe pipe = Pipe.open(); Arena arena = Arena.ofConfined()) {
            assertEquals(1, a.sendDescriptors(arena.allocateFrom("x").asSlice(0, 1), pipe.sink()));
            List<ReceivedDescriptor> fds = new ArrayList<>();
            MemorySegment buf = arena.allocate(8);
            assertEquals(1, b.receiveDescriptors(buf, fds));
            assertEquals(1, fds.size());
            try (ReceivedDescriptor sink = fds.get(0)) {
                assertTrue(sink.fd() != pipe.sink().fd(), "the receiver gets a new descriptor");
                SocketAssertions.assertCloexecNonblock(sink);
                pipe.sink().close();   // only the passed copy keeps the write end open now
                assertEquals(5, sink.write(arena.allocateFrom("hello").asSlice(0, 5)));
            }
            MemorySegment in = arena.allocate(8);
            assertEquals(5, pipe.source().read(in));
            assertEquals("hello", new String(in.asSlice(0, 5).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)));
            assertEquals(Descriptor.EOF, pipe.source().read(in), "closing the received copy closed the last writer");
        }
    }

    @Test
    void aPassedSocketKeepsItsConnection() throws Exception {
        UnixStream[] carrier = UnixStream.pair();
        UnixStream[] payload = UnixStream.pair();
        try (UnixStream a = carrier[0]; UnixStream b = carrier[1]; UnixStream kept = payload[0];
             Arena arena = Arena.ofConfined()) {
            assertEquals(2, a.sendDescriptors(MemorySegment.ofArray(new byte[] {1, 2}), payload[1]));
            payload[1].close();
            List<ReceivedDescriptor> fds = new ArrayList<>();
            assertEquals(2, b.receiveDescriptors(MemorySegment.ofArray(new byte[8]), fds));
            try (ReceivedDescriptor passed = fds.get(0)) {
                assertEquals(4, passed.write(arena.allocateFrom("ping").asSlice(0, 4)));
                MemorySegment in = arena.allocate(4);
                assertEquals(4, kept.read(in));
            }
        }
    }

    @Test
    void sendingDescriptorsWithoutDataIsRejected() throws Exception {
        UnixStream[] p = UnixStream.pair();
        try (UnixStream a = p[0]; UnixStream b = p[1]; Pipe pipe = Pipe.open()) {
            assertThrows(IllegalArgumentException.class, () -> a.sendDescriptors(MemorySegment.NULL, pipe.sink()));
            assertThrows(IllegalStateException.class, () -> {
                pipe.sink().close();
                a.sendDescriptors(MemorySegment.ofArray(new byte[1]), pipe.sink());
            });
            assertEquals(Descriptor.WOULD_BLOCK, b.read(MemorySegment.ofArray(new byte[1])), "nothing was sent");
        }
    }

    @Test
    void peerCredentialsAreThisProcess() throws Exception {
        long pid = ProcessHandle.current().pid();
        int[] uidGid = effectiveUidGid();
        AbstractName name = uniqueName();
        try (UnixListener listener = UnixListener.bind(name, 4)) {
            UnixStream[] p = connect(listener, name);
            try (UnixStream client = p[0]; UnixStream server = p[1]) {
                assertEquals(new PeerCredentials((int) pid, uidGid[0], uidGid[1]), server.peerCredentials());
                assertEquals(new PeerCredentials((int) pid, uidGid[0], uidGid[1]), client.peerCredentials());
            }
        }
    }

    /** The effective uid and gid from /proc/self/status ("Uid: real effective saved fs"). */
    static int[] effectiveUidGid() throws IOException {
        int uid = -1, gid = -1;
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("Uid:")) uid = Integer.parseInt(line.substring(4).trim().split("\\s+")[1]);
            if (line.startsWith("Gid:")) gid = Integer.parseInt(line.substring(4).trim().split("\\s+")[1]);
        }
        return new int[] {uid, gid};
    }

    @Test
    void everyUnixStreamSocketIsCloexecAndNonblocking() throws Exception {
        AbstractName name = uniqueName();
        UnixStream[] pair = UnixStream.pair();
        try (UnixListener listener = UnixListener.bind(name, 4); UnixStream a = pair[0]; UnixStream b = pair[1]) {
            UnixStream[] p = connect(listener, name);
            try (UnixStream client = p[0]; UnixStream server = p[1]) {
                for (Descriptor d : new Descriptor[] {listener, client, server, a, b}) SocketAssertions.assertCloexecNonblock(d);
            }
            assertNull(listener.accept());
        }
    }

    @Test
    void streamConnectToADatagramPathIsNamedEprototype() throws Exception {
        SocketAddress path = UnixDomainSocketAddress.of(dir.resolve("dgram.sock"));
        try (UnixDatagram dgram = UnixDatagram.bind(path)) {
            NativeIOException e = assertThrows(NativeIOException.class, () -> UnixStream.connect(path).close());
            assertEquals("EPROTOTYPE", e.errnoName(), e.getMessage());
        }
    }
}
