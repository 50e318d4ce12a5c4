package io.ffmepoll.reactor;

import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Several writes made in one callback leave in one gathering sendmsg, counted by the loop's
 * {@code writeCalls}, and they leave as soon as the callback ends, not when the loop next waits.
 */
class GatheringWriteTest {

    private static final byte[] HEADER = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
            + "Content-Length: %d\r\n\r\n").getBytes();

    /** Answers each byte it reads with a header and a body, two writes. */
    static final class TwoWriteResponder implements Handler {
        final byte[] header, body;

        TwoWriteResponder(int bodySize) {
            body = Net.random(bodySize, bodySize);
            header = String.format(new String(HEADER), bodySize).getBytes();
        }

        @Override
        public void onRead(Connection c, MemorySegment data) {
            for (long i = 0; i < data.byteSize(); i++) {
                c.write(header);
                c.write(body);
            }
        }
    }

    /** Requests one response at a time; returns the loop's sendmsg calls per response. */
    private static double writeCallsPerResponse(int bodySize, int responses) throws Exception {
        TwoWriteResponder h = new TwoWriteResponder(bodySize);
        try (Reactor r = Net.small().loops(1).build();
             Listener l = r.listen(new InetSocketAddress("127.0.0.1", 0), () -> h);
             Socket s = Net.connect(l.port())) {
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            byte[] expected = new byte[h.header.length + h.body.length];
            System.arraycopy(h.header, 0, expected, 0, h.header.length);
            System.arraycopy(h.body, 0, expected, h.header.length, h.body.length);
            out.write('G');
            assertArrayEquals(expected, Net.readFully(in, expected.length));   // warm: the connection is open
            long before = r.loops().get(0).counters().writeCalls();
            for (int i = 0; i < responses; i++) {
                out.write('G');
                assertArrayEquals(expected, Net.readFully(in, expected.length));
            }
            long calls = r.loops().get(0).counters().writeCalls() - before;
            return (double) calls / responses;
        }
    }

    @Test
    void headerAndSmallBodyWrittenInOneCallbackCostOneSendmsgPerResponse() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () ->
                assertEquals(1.0, writeCallsPerResponse(200, 200), "sendmsg calls per response"));
    }

    /** A body too large to hold is sent at once, with the header held before it, in one call. */
    @Test
    void largeBodyLeavesTogetherWithTheHeldHeaderInOneSendmsg() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () ->
                assertEquals(1.0, writeCallsPerResponse(8 * 1024, 100), "sendmsg calls per response"));
    }

    /**
     * A write held in one task must be on the wire when the next task runs: the second task
     * below waits for the client to have received it, so if held writes were sent only
     * before the loop's next wait, the loop would sit in the second task until it gave up.
     */
    @Test
    void heldWritesLeaveWhenTheirRunEndsNotWhenTheLoopNextWaits() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            CompletableFuture<Connection> opened = new CompletableFuture<>();
            try (Reactor r = Net.small().loops(1).build();
                 Listener l = r.listen(new InetSocketAddress("127.0.0.1", 0), () -> new Handler() {
                     @Override
                     public void onOpen(Connection c) {
                         opened.complete(c);
                     }

                     @Override
                     public void onRead(Connection c, MemorySegment data) {}
                 });
                 Socket s = Net.connect(l.port())) {
                Connection c = opened.get(5, TimeUnit.SECONDS);
                EventLoop loop = c.loop();
                s.setSoTimeout(3_000);
                CompletableFuture<Integer> seenInSecondTask = new CompletableFuture<>();
                loop.execute(() -> {
                    loop.execute(() -> c.write(new byte[] {'x'}));   // first task: a held write
                    loop.execute(() -> {                            // second task, same iteration
                        try {
                            seenInSecondTask.complete(s.getInputStream().read());
                        } catch (Exception e) {
                            seenInSecondTask.completeExceptionally(e);
                        }
                    });
                });
                assertEquals('x', seenInSecondTask.get(10, TimeUnit.SECONDS),
                        "the held write had not left when the next task ran");
            }
        });
    }

    /** The loop's own writes keep the write-through path for large data: no copy, and the order kept. */
    @Test
    void mixedSmallAndLargeWritesInOneCallbackArriveInOrder() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            byte[] large = Net.random(300 * 1024, 9);
            Handler h = (c, data) -> {
                c.write(new byte[] {1});
                c.write(large);
                c.write(new byte[] {2});
                c.write(new byte[] {3});
                c.close();
            };
            try (Reactor r = Net.small().loops(1).build();
                 Listener l = r.listen(new InetSocketAddress("127.0.0.1", 0), () -> h);
                 Socket s = Net.connect(l.port())) {
                s.getOutputStream().write('G');
                InputStream in = s.getInputStream();
                byte[] got = Net.readFully(in, large.length + 3);
                assertEquals(1, got[0]);
                assertArrayEquals(large, java.util.Arrays.copyOfRange(got, 1, 1 + large.length));
                assertEquals(2, got[large.length + 1]);
                assertEquals(3, got[large.length + 2]);
                assertEquals(-1, in.read());
                assertTrue(r.loops().get(0).counters().writeCalls() >= 1);
            }
        });
    }
}
