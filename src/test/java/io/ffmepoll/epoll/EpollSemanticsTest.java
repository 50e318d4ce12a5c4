package io.ffmepoll.epoll;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The trigger modes and flags as the seeds describe them, on real socketpairs and eventfds. */
class EpollSemanticsTest {

    private Epoll epoll;
    private EventArray events;
    private Pipe.End[] pair;

    @BeforeEach
    void open() throws Exception {
        epoll = Epoll.open();
        events = EventArray.allocate(8);
        pair = Fds.socketPair();
    }

    @AfterEach
    void close() {
        pair[0].close();
        pair[1].close();
        events.close();
        epoll.close();
    }

    private int poll() throws NativeIOException {
        return epoll.wait(events, 0);
    }

    /** Waits briefly; readiness from the other end of a local socketpair is immediate. */
    private int waitBriefly() throws NativeIOException {
        return epoll.wait(events, 200);
    }

    @Test
    void levelTriggeredKeepsReportingUnreadData() throws Exception {
        epoll.add(pair[0], Interest.IN, 1);
        Fds.write(pair[1], (byte) 1, (byte) 2, (byte) 3);
        for (int round = 0; round < 3; round++) {
            assertEquals(1, waitBriefly(), "LT reports unread data on every wait");
            assertEquals(1, events.token(0));
        }
        assertEquals(1, Fds.read(pair[0], 1));             // partial read: still readable
        assertEquals(1, waitBriefly());
        Fds.drain(pair[0]);
        assertEquals(0, poll(), "drained: nothing to report");
    }

    @Test
    void edgeTriggeredReportsOnceUntilNewDataArrives() throws Exception {
        epoll.add(pair[0], Interest.IN.with(Interest.ET), 2);
        Fds.write(pair[1], (byte) 1, (byte) 2, (byte) 3);
        assertEquals(1, waitBriefly());
        assertEquals(0, poll(), "ET: the same readiness is reported once, even with data unread");
        assertEquals(1, Fds.read(pair[0], 1));
        assertEquals(0, poll(), "a partial read does not re-arm the edge");
        Fds.write(pair[1], (byte) 4);
        assertEquals(1, waitBriefly(), "new data is a new edge");
        assertEquals(3, Fds.drain(pair[0]));
        assertEquals(-Errors.EAGAIN, Fds.read(pair[0], 1), "drained to EAGAIN");
        assertEquals(0, poll());
        Fds.write(pair[1], (byte) 5);
        assertEquals(1, waitBriefly(), "after draining to EAGAIN the next write is reported");
    }

    @Test
    void oneShotFiresOnceUntilRearmed() throws Exception {
        epoll.add(pair[0], Interest.IN.with(Interest.ONESHOT), 3);
        Fds.write(pair[1], (byte) 1);
        assertEquals(1, waitBriefly());
        Fds.write(pair[1], (byte) 2);
        assertEquals(0, poll(), "disabled after one event, even with new data");
        epoll.modify(pair[0], Interest.IN.with(Interest.ONESHOT), 33);
        assertEquals(1, waitBriefly(), "re-armed by MOD");
        assertEquals(33, events.token(0), "MOD replaces the token");
        assertEquals(0, poll());
    }

    @Test
    void peerCloseReportsRdhupAndHup() throws Exception {
        epoll.add(pair[0], Interest.IN.with(Interest.RDHUP), 4);
        Fds.write(pair[1], (byte) 9);
        pair[1].close();
        assertEquals(1, waitBriefly());
        int ready = events.events(0);
        assertTrue((ready & Interest.RDHUP.bits()) != 0, Interest.describe(ready));
        assertTrue((ready & Interest.HUP.bits()) != 0, "both directions are gone: " + Interest.describe(ready));
        assertTrue((ready & Interest.IN.bits()) != 0, "the last byte is still readable");
        assertEquals(1, Fds.read(pair[0], 16), "data sent before the close is not lost");
        assertEquals(0, Fds.read(pair[0], 16), "then end of stream");
    }

    @Test
    void halfCloseReportsRdhupWithoutHup() throws Exception {
        epoll.add(pair[0], Interest.IN.with(Interest.RDHUP).with(Interest.ET), 5);
        assertEquals(0, io.ffmepoll.internal.sys.Sys.shutdown(pair[1].fd(), io.ffmepoll.internal.gen.Linux.SHUT_WR()));
        assertEquals(1, waitBriefly());
        int ready = events.events(0);
        assertTrue((ready & Interest.RDHUP.bits()) != 0, Interest.describe(ready));
        assertEquals(0, ready & Interest.HUP.bits(), "our direction is still open: " + Interest.describe(ready));
    }

    @Test
    void exclusiveIsAcceptedOnAddAndRejectedOnModify() throws Exception {
        try (EventFd efd = EventFd.open()) {
            epoll.add(efd, Interest.IN.with(Interest.EXCLUSIVE), 6);
            efd.signal(1);
            assertEquals(1, waitBriefly());
            NativeIOException e = assertThrows(NativeIOException.class,
                    () -> epoll.modify(efd, Interest.IN.with(Interest.EXCLUSIVE), 6));
            assertEquals(Errors.EINVAL, e.errno());
            assertEquals("EINVAL", e.errnoName());
        }
    }

    @Test
    void errAndHupAreReportedWithoutBeingAsked() throws Exception {
        epoll.add(pair[0], Interest.OUT.with(Interest.ET), 7);
        assertEquals(1, waitBriefly());
        pair[1].close();
        assertEquals(1, waitBriefly());
        assertTrue((events.events(0) & Interest.HUP.bits()) != 0, Interest.describe(events.events(0)));
    }
}
