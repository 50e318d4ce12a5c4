package io.ffmepoll.internal.sys;

import io.ffmepoll.internal.gen.Linux;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fault layer's own record of what the kernel holds stays true under fd reuse. */
class FaultPlanTest {

    /**
     * The plan used to update its record of a closed fd after the real close(2). In between,
     * another thread could take the freed number (accept4) and register it in its epoll set;
     * the late update then erased that registration, so an EAGAIN injected on the new fd owed
     * an event no wait would ever report, and its connection stalled: the fault schedule
     * "seed 106897 TCP_ECHO ... client read timed out after 2048 of 12169 bytes".
     */
    @Test
    void aNumberReusedTheMomentItIsClosedKeepsItsNewRegistration() {
        Assumptions.assumeTrue(FaultPlan.installed(), "needs -Dffmepoll.faults=" + FaultPlan.class.getName());
        FaultPlan plan = FaultPlan.get();
        int cloexec = Linux.EFD_CLOEXEC() | Linux.EFD_NONBLOCK();
        int epfd = Sys.epollCreate1(Linux.EPOLL_CLOEXEC());
        int old = Sys.eventfd(0, cloexec);
        assertTrue(epfd >= 0 && old >= 0);
        AtomicInteger reused = new AtomicInteger(-1);
        try {
            assertEquals(0, Sys.epollCtl(epfd, Linux.EPOLL_CTL_ADD(), old, Linux.EPOLLIN(), 1));
            plan.afterClose = fd -> {
                if (fd != old) return;
                // What another loop does at this moment: take the lowest free number and register it.
                int again = Sys.eventfd(0, cloexec);
                reused.set(again);
                Sys.epollCtl(epfd, Linux.EPOLL_CTL_ADD(), again, Linux.EPOLLIN(), 2);
            };
            assertEquals(0, Sys.close(old));
            plan.afterClose = null;
            assertEquals(old, reused.get(), "the kernel hands out the lowest free number");
            assertTrue(plan.registered(epfd, old), "the new fd's registration was erased by the old fd's close");
        } finally {
            plan.afterClose = null;
            if (reused.get() >= 0) Sys.close(reused.get());
            Sys.close(epfd);
        }
    }
}
