package io.ffmepoll.example.wake;

import io.ffmepoll.epoll.Epoll;
import io.ffmepoll.epoll.EventArray;
import io.ffmepoll.epoll.EventFd;
import io.ffmepoll.epoll.Interest;
import io.ffmepoll.epoll.NativeIOException;

import java.io.UncheckedIOException;
import java.time.Duration;

/**
 * Waits in epoll for an eventfd that another thread signals, prints {@code woken 1} and exits 0;
 * any other outcome throws. Run with {@code --enable-native-access=io.ffmepoll}.
 */
public final class Wake {

    private Wake() {}

    public static void main(String[] args) throws Exception {
        try (Epoll epoll = Epoll.open();
             EventFd wake = EventFd.open();
             EventArray events = EventArray.allocate(8)) {
            epoll.add(wake, Interest.IN, 7L);
            Thread signaller = Thread.ofPlatform().start(() -> {
                try {
                    wake.signal(1);
                } catch (NativeIOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            int n = epoll.wait(events, Duration.ofSeconds(10));
            signaller.join();
            if (n != 1 || events.token(0) != 7L) {
                throw new AssertionError("expected the eventfd's token 7, got " + n + " events");
            }
            System.out.println("woken " + wake.read());
        }
    }
}
