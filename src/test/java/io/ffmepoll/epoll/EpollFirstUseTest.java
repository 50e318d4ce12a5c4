package io.ffmepoll.epoll;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The first use of Epoll in a JVM, under conditions only a fresh child JVM can set up. */
class EpollFirstUseTest {

    /**
     * The start-up self-test needs two descriptors. Run while the process has none left, it
     * must fail that use with EMFILE, not poison the class for the life of the JVM.
     */
    @Test
    void aFirstUseOutOfDescriptorsThrowsEmfileAndALaterUseWorks() throws Exception {
        String out = ChildJvm.run(FirstUseMain.class, 256, "emfile");
        assertTrue(out.contains("first: NativeIOException EMFILE"), out);
        assertTrue(out.contains("second: ok"), out);
    }

    /**
     * Under a seccomp profile that answers EPERM for epoll_pwait2 the probe must report it
     * unavailable (it counted every error but ENOSYS as success), and a sub-millisecond wait
     * must round up rather than throw.
     */
    @Test
    void aPwait2ProbeDeniedBySeccompReportsNoPwait2() throws Exception {
        String out = ChildJvm.run(FirstUseMain.class, 0, "seccomp");
        assertTrue(out.contains("hasPwait2: false"), out);
        assertTrue(out.contains("wait: 0 rounded up"), out);
    }
}
