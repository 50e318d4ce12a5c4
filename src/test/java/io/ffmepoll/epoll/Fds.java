package io.ffmepoll.epoll;

import io.ffmepoll.internal.gen.Linux;
import io.ffmepoll.internal.sys.NativeScratch;
import io.ffmepoll.internal.sys.Sys;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/** What the kernel says about this process's descriptors, and raw descriptors for tests. */
public final class Fds {

    private Fds() {}

    /** The open fd numbers, from /proc/self/fd (less the one the listing itself uses). */
    public static Set<Integer> open() {
        Set<Integer> fds = new TreeSet<>();
        Path listing = Path.of("/proc/" + ProcessHandle.current().pid() + "/fd");
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            s.forEach(p -> {
                try {
                    if (!Files.readSymbolicLink(p).equals(listing)) fds.add(Integer.parseInt(p.getFileName().toString()));
                } catch (IOException closedMeanwhile) {
                    // not open any more
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return fds;
    }

    /** The open-file flags of {@code fd}, from /proc/self/fdinfo (octal in the file). */
    static int flags(int fd) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo/" + fd))) {
                if (line.startsWith("flags:")) return Integer.parseInt(line.substring(6).trim(), 8);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new AssertionError("no flags line for fd " + fd);
    }

    static boolean isCloexec(int fd) {
        return (flags(fd) & Linux.O_CLOEXEC()) != 0;
    }

    static boolean isNonblocking(int fd) {
        return (flags(fd) & Linux.O_NONBLOCK()) != 0;
    }

    /**
     * A descriptor that owns {@code fd}, a number obtained some other way: a pipe end, which
     * only this package can make (the descriptor hierarchy is sealed).
     */
    static Pipe.End adopt(int fd) {
        return new Pipe.End(fd);
    }

    /** write(2) of {@code bytes}: the count, or -errno. */
    static long write(Descriptor d, byte... bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = a.allocate(Math.max(1, bytes.length));
            MemorySegment.copy(bytes, 0, m, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, bytes.length);
            return Sys.write(d.fd(), m, bytes.length);
        }
    }

    /** Reads up to {@code max} bytes: the count, or -errno. */
    static long read(Descriptor d, int max) {
        try (Arena a = Arena.ofConfined()) {
            return Sys.read(d.fd(), a.allocate(max), max);
        }
    }

    /** Reads until EAGAIN; the bytes read. */
    static long drain(Descriptor d) {
        long total = 0;
        for (long r; (r = read(d, 4096)) > 0; ) total += r;
        return total;
    }

    /** A connected pair of non-blocking, close-on-exec Unix stream sockets, as raw descriptors. */
    static Pipe.End[] socketPair() {
        int r = Sys.socketpair(Linux.AF_UNIX(), Linux.SOCK_STREAM() | Linux.SOCK_NONBLOCK() | Linux.SOCK_CLOEXEC(), 0);
        if (r < 0) throw new AssertionError("socketpair: " + Errors.name(-r));
        NativeScratch s = NativeScratch.current();
        return new Pipe.End[] {adopt(s.getInt(NativeScratch.INTS)), adopt(s.getInt(NativeScratch.INTS + 4))};
    }

    /** The fd number the kernel gave {@code stream}'s open file, found through /proc/self/fd. */
    static int fdOf(Path file) {
        Path target = file.toAbsolutePath();
        for (int fd : open()) {
            try {
                if (Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).equals(target)) return fd;
            } catch (IOException ignored) {
                // closed meanwhile
            }
        }
        throw new AssertionError("no fd for " + file);
    }
}
