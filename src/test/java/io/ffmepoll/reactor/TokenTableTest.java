package io.ffmepoll.reactor;

import io.ffmepoll.epoll.Epoll;
import io.ffmepoll.epoll.EventArray;
import io.ffmepoll.epoll.EventFd;
import io.ffmepoll.epoll.Interest;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Tokens in epoll_data: stale events are dropped by an index and a generation compare. */
class TokenTableTest {

    static final class Watched extends Registration {
        final String name;

        Watched(String name) {
            this.name = name;
        }

        @Override void onEvents(int events) {}
        @Override void onStillReady() {}
        @Override void beginShutdown() {}
        @Override void terminate() {}
    }

    /**
     * One wait reports A and B. Handling A closes B (its slot is freed) and registers C, which
     * gets B's slot and, as the kernel reuses the lowest fd, quite possibly B's fd number. B's
     * event, still in the array, must then find nothing rather than C.
     */
    @Test
    void eventOfAConnectionClosedEarlierInTheSameWaitDoesNotReachItsSlotsNextOwner() throws Exception {
        TokenTable tokens = new TokenTable();
        try (Epoll epoll = Epoll.open(); EventArray events = EventArray.allocate(8);
             EventFd a = EventFd.open(); EventFd b = EventFd.open()) {
            Watched wa = new Watched("A"), wb = new Watched("B");
            long ta = tokens.add(wa), tb = tokens.add(wb);
            epoll.add(a, Interest.IN, ta);
            epoll.add(b, Interest.IN, tb);
            a.signal(1);
            b.signal(1);
            assertEquals(2, epoll.wait(events, 1_000));

            int bNumber = b.fd();
            tokens.remove(tb);
            b.close();
            try (EventFd c = EventFd.open()) {
                Watched wc = new Watched("C");
                long tc = tokens.add(wc);
                assertEquals((int) tb, (int) tc, "C reuses B's slot");
                assertEquals(bNumber, c.fd(), "and B's fd number");
                assertNotEquals(tb, tc, "but not B's token");

                Set<String> delivered = new HashSet<>();
                for (int i = 0; i < 2; i++) {
                    Registration r = tokens.get(events.token(i));
                    if (r != null) delivered.add(((Watched) r).name);
                }
                assertEquals(Set.of("A"), delivered, "B's stale event was dropped, C got nothing");
                assertSame(wc, tokens.get(tc));
            }
        }
    }

    @Test
    void slotsAreReusedWithANewGenerationEachTime() {
        TokenTable tokens = new TokenTable();
        Set<Long> seen = new HashSet<>();
        Watched w = new Watched("w");
        for (int i = 0; i < 1_000; i++) {
            long t = tokens.add(w);
            assertEquals(0, (int) t, "one live registration keeps using slot 0");
            assertTrue(seen.add(t), "a token is never handed out twice");
            tokens.remove(t);
            assertNull(tokens.get(t));
            tokens.remove(t);                       // a stale remove is ignored
            assertEquals(0, tokens.size());
        }
    }

    @Test
    void theTableGrowsPastItsInitialSlots() {
        TokenTable tokens = new TokenTable();
        long[] t = new long[1_000];
        for (int i = 0; i < t.length; i++) t[i] = tokens.add(new Watched("r" + i));
        assertEquals(1_000, tokens.size());
        for (int i = 0; i < t.length; i++) assertEquals("r" + i, ((Watched) tokens.get(t[i])).name);
        assertNull(tokens.get(1_000_000L), "a slot never handed out");
    }
}
