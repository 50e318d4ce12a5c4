package io.ffmepoll.reactor;

import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FairnessTest {

    static final int BUDGET = 64 * 1024, READ = 16 * 1024;

    /**
     * A connection whose peer never stops sending must not hold the loop: a small request on
     * another connection of the same loop is served within the budget the flood gets in the
     * iteration under way plus the one it may get before the request's event (two budgets of
     * flood bytes). Reading the flood to EAGAIN would never end, and never answer.
     */
    @Test
    void floodingConnectionDelaysASmallRequestByNoMoreThanItsBudget() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            AtomicLong floodBytes = new AtomicLong();
            AtomicLong floodAtQuery = new AtomicLong(-1);
            class Split implements Handler {
                boolean flood;

                @Override
                public void onRead(Connection c, MemorySegment data) {
                    if (data.get(ValueLayout.JAVA_BYTE, 0) == 'F') flood = true;
                    if (flood) {
                        floodBytes.addAndGet(data.byteSize());
                    } else if (data.get(ValueLayout.JAVA_BYTE, 0) == 'Q') {
                        floodAtQuery.set(floodBytes.get());
                        c.write(new byte[] {'A'});
                    } else {
                        c.write(new byte[] {'H'});   // hello: registered
                    }
                }
            }
            try (Reactor r = Net.small().loops(1).readBudget(BUDGET).readBufferSize(READ).build();
                 Listener l = r.listen(new InetSocketAddress("127.0.0.1", 0), Split::new);
                 Socket query = Net.connect(l.port());
                 Socket flood = Net.connect(l.port())) {
                query.getOutputStream().write('h');
                assertEquals('H', query.getInputStream().read());
                AtomicBoolean stop = new AtomicBoolean();
                Thread flooder = Thread.ofPlatform().start(() -> {
                    try {
                        OutputStream out = flood.getOutputStream();
                        byte[] block = new byte[256 * 1024];
                        block[0] = 'F';
                        while (!stop.get()) out.write(block);
                    } catch (Exception ignored) {
                        // closed at the end of the test
                    }
                });
                try {
                    while (floodBytes.get() < 8 << 20) Thread.sleep(5);
                    // Snapshot after the write: a snapshot before it would also charge the loop
                    // for any time this thread spends preempted between the two (three busy
                    // threads share two cores), while a starved request still shows up as many
                    // budgets of flood read after it was sent.
                    query.getOutputStream().write('Q');
                    long before = floodBytes.get();
                    assertEquals('A', query.getInputStream().read());
                    long delay = floodAtQuery.get() - before;
                    assertTrue(delay <= 2L * BUDGET, "flood read " + delay + " bytes before the request was served");
                    assertTrue(r.counters().get(0).budgetYields() > 0, "the flood never hit its budget");
                } finally {
                    stop.set(true);
                    flood.close();
                    flooder.join();
                }
            }
        });
    }
}
