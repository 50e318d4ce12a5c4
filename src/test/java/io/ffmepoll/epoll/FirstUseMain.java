package io.ffmepoll.epoll;

import io.ffmepoll.internal.gen.Linux;
import io.ffmepoll.internal.sys.Sys;

import java.time.Duration;

/**
 * The first use of {@link Epoll} in a fresh JVM, run by {@link EpollFirstUseTest}:
 * {@code emfile} makes it while the process is out of descriptors, {@code seccomp} while
 * epoll_pwait2 answers EPERM. Prints one {@code key: value} line per observation.
 */
public final class FirstUseMain {

    public static void main(String[] args) throws Throwable {
        switch (args[0]) {
            case "emfile" -> emfile();
            case "seccomp" -> seccomp();
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    private static void emfile() throws Throwable {
        // Load (not initialise) what the first use runs: classes load from a directory here, and
        // opening a class file needs a descriptor too (from a jar, already open, it would not).
        ClassLoader loader = FirstUseMain.class.getClassLoader();
        for (String name : new String[] {"io.ffmepoll.epoll.Epoll", "io.ffmepoll.epoll.Epoll$SelfTest",
                "io.ffmepoll.epoll.EventArray", "io.ffmepoll.epoll.Interest", "io.ffmepoll.epoll.Nanos"}) {
            try {
                Class.forName(name, false, loader);
            } catch (ClassNotFoundException absent) {
                // not in this version of the library
            }
        }
        Errors.exception("preload", -Errors.EMFILE).getMessage();
        try (EventFd warm = EventFd.open()) {
            warm.signal(1);
        }
        int[] held = new int[100_000];
        int count = 0;
        for (int fd; count < held.length && (fd = Sys.eventfd(0, Linux.EFD_CLOEXEC())) >= 0; ) held[count++] = fd;
        System.out.println("held: " + count);
        System.out.println("first: " + attempt());
        for (int i = 0; i < count; i++) Sys.close(held[i]);
        System.out.println("second: " + attempt());
    }

    private static String attempt() {
        try (Epoll epoll = Epoll.open(); EventFd efd = EventFd.open(); EventArray events = EventArray.allocate(2)) {
            epoll.add(efd, Interest.IN, 77);
            efd.signal(1);
            int n = epoll.wait(events, 1000);
            return n == 1 && events.token(0) == 77 ? "ok" : "wrong events: " + n;
        } catch (NativeIOException e) {
            return "NativeIOException " + e.errnoName();
        } catch (Throwable t) {
            return t.getClass().getName() + " " + t.getMessage();
        }
    }

    private static void seccomp() throws Throwable {
        Seccomp.deny(Seccomp.NR_EPOLL_PWAIT2, Errors.EPERM);
        System.out.println("hasPwait2: " + Epoll.hasPwait2());
        try (Epoll epoll = Epoll.open(); EventArray events = EventArray.allocate(1)) {
            long start = System.nanoTime();
            int n = epoll.wait(events, Duration.ofNanos(300_000));
            long took = System.nanoTime() - start;
            System.out.println("wait: " + n + (took >= 1_000_000 ? " rounded up" : " after " + took + " ns"));
        } catch (Throwable t) {
            System.out.println("wait: " + t);
        }
    }
}
