package io.ffmepoll.socket;

import io.ffmepoll.epoll.Descriptor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Checks on the kernel's view of a descriptor. */
final class SocketAssertions {

    private SocketAssertions() {}

    /** The octal "flags:" of /proc/self/fdinfo/fd. */
    static int fdFlags(Descriptor d) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo/" + d.fd()))) {
            if (line.startsWith("flags:")) return Integer.parseInt(line.substring(6).trim(), 8);
        }
        return fail("no flags line for fd " + d.fd());
    }

    /** O_CLOEXEC (02000000) and O_NONBLOCK (04000) are both set. */
    static void assertCloexecNonblock(Descriptor d) throws IOException {
        int flags = fdFlags(d);
        assertEquals(02000000, flags & 02000000, d + " lacks O_CLOEXEC: flags " + Integer.toOctalString(flags));
        assertEquals(04000, flags & 04000, d + " lacks O_NONBLOCK: flags " + Integer.toOctalString(flags));
    }
}
