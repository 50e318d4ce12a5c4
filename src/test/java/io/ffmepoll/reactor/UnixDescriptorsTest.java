package io.ffmepoll.reactor;

import io.ffmepoll.epoll.EventFd;
import io.ffmepoll.socket.ReceivedDescriptor;
import io.ffmepoll.socket.UnixStream;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A Unix connection receives the descriptors sent to it, and none outlives its owner. */
class UnixDescriptorsTest {

    private static MemorySegment ascii(String s) {
        return MemorySegment.ofArray(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    void descriptorsSentToAUnixConnectionReachTheHandlerInsteadOfBeingDiscarded() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            try (Reactor r = Net.small().loops(1).build(); EventFd passed = EventFd.open()) {
                CompletableFuture<ReceivedDescriptor> kept = new CompletableFuture<>();
                CompletableFuture<String> bytesAfterDescriptors = new CompletableFuture<>();
                Handler h = new Handler() {
                    @Override
                    public void onDescriptors(Connection c, List<ReceivedDescriptor> fds) {
                        kept.complete(fds.remove(0));
                    }

                    @Override
                    public void onRead(Connection c, MemorySegment data) {
                        if (kept.isDone()) {
                            bytesAfterDescriptors.complete(new String(data.toArray(ValueLayout.JAVA_BYTE), StandardCharsets.ISO_8859_1));
                        }
                    }
                };
                UnixStream[] pair = UnixStream.pair();
                try (UnixStream peer = pair[1]) {
                    r.register(pair[0], h).get(5, TimeUnit.SECONDS);
                    peer.sendDescriptors(ascii("HDR1"), passed);
                    ReceivedDescriptor fd;
                    try {
                        fd = kept.get(3, TimeUnit.SECONDS);
                    } catch (java.util.concurrent.TimeoutException e) {
                        throw new AssertionError("no descriptor reached the handler: the read discarded it", e);
                    }
                    assertEquals("HDR1", bytesAfterDescriptors.get(5, TimeUnit.SECONDS), "the bytes they came with follow");
                    try (fd; Arena a = Arena.ofConfined()) {
                        assertTrue(fd.isOpen(), "a descriptor the handler took stays open");
                        MemorySegment five = a.allocate(ValueLayout.JAVA_LONG);
                        five.set(ValueLayout.JAVA_LONG, 0, 5);
                        assertEquals(8, fd.write(five));   // the same eventfd, through the received copy
                        assertEquals(5, passed.read());
                    }
                }
            }
        });
    }

    @Test
    void descriptorsTheHandlerDoesNotTakeAreClosedAfterTheCallback() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            try (Reactor r = Net.small().loops(1).build(); EventFd a = EventFd.open(); EventFd b = EventFd.open()) {
                List<ReceivedDescriptor> seen = new ArrayList<>();
                CompletableFuture<List<Boolean>> openAfterwards = new CompletableFuture<>();
                Handler h = new Handler() {
                    @Override
                    public void onDescriptors(Connection c, List<ReceivedDescriptor> fds) {
                        seen.addAll(fds);   // looked at, not taken
                        for (ReceivedDescriptor d : fds) assertTrue(d.isOpen());
                    }

                    @Override
                    public void onRead(Connection c, MemorySegment data) {
                        openAfterwards.complete(seen.stream().map(ReceivedDescriptor::isOpen).toList());
                    }
                };
                UnixStream[] pair = UnixStream.pair();
                try (UnixStream peer = pair[1]) {
                    r.register(pair[0], h).get(5, TimeUnit.SECONDS);
                    peer.sendDescriptors(ascii("X"), a, b);
                    List<Boolean> open = openAfterwards.get(5, TimeUnit.SECONDS);
                    assertEquals(2, open.size(), "both descriptors delivered");
                    assertFalse(open.contains(true), "a descriptor nobody took was left open: " + open);
                }
            }
        });
    }
}
