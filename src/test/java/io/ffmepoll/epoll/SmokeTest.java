package io.ffmepoll.epoll;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SmokeTest {
    @Test
    void eventfdRoundTrip() throws Exception {
        try (Epoll epoll = Epoll.open(); EventFd e = EventFd.open(); EventArray events = EventArray.allocate(4)) {
            epoll.add(e, Interest.IN, 77L);
            e.signal(1);
            assertEquals(1, epoll.wait(events, Duration.ofMillis(500)));
            assertEquals(77L, events.token(0));
            System.out.println("pwait2=" + Epoll.hasPwait2());
        }
    }
}
