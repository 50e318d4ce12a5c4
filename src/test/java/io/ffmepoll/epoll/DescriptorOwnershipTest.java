package io.ffmepoll.epoll;

import io.ffmepoll.internal.sys.Leases;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Modifier;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Only the library makes descriptors, and a descriptor's use count cannot be corrupted. */
class DescriptorOwnershipTest {

    /**
     * {@code new Descriptor(3) {}} compiled anywhere and closed the JVM's own fd 3: the hierarchy
     * is sealed, and every class in it is sealed or final, so no code outside the library can
     * make a descriptor over a number it does not own.
     */
    @Test
    void descriptorHierarchyIsClosedToOtherCode() {
        assertTrue(Descriptor.class.isSealed(), "Descriptor is not sealed");
        List<String> open = new ArrayList<>();
        Deque<Class<?>> todo = new ArrayDeque<>(List.of(Descriptor.class));
        int classes = 0;
        while (!todo.isEmpty()) {
            Class<?> c = todo.pop();
            classes++;
            if (c.isSealed()) {
                todo.addAll(List.of(c.getPermittedSubclasses()));
            } else if (!Modifier.isFinal(c.getModifiers())) {
                open.add(c.getName());
            }
            assertEquals(Descriptor.class.getModule(), c.getModule(), c + " is outside the library");
        }
        assertEquals(List.of(), open, "classes code outside the library could extend");
        assertTrue(classes >= 15, "walked only " + classes + " classes");
    }

    /**
     * After close, a release() with no matching acquire() took the state word from "closed, no
     * calls" to "open, 2^31-1 calls": the descriptor reported itself open and handed out its
     * closed fd number again.
     */
    @Test
    void unmatchedReleaseNeverReopensADescriptor() throws Exception {
        EventFd closed = EventFd.open();
        Leases.Access leases = Leases.access();   // installed once Descriptor is initialised
        closed.close();
        assertThrows(IllegalStateException.class, () -> leases.release(closed));
        assertFalse(closed.isOpen());
        assertThrows(IllegalStateException.class, closed::fd);

        try (EventFd open = EventFd.open()) {
            assertThrows(IllegalStateException.class, () -> leases.release(open));
            assertTrue(open.isOpen(), "an unmatched release on an open descriptor changes nothing");
            assertTrue(open.signal(1));
            int number = open.fd();
            open.close();
            assertFalse(Fds.open().contains(number), "closed at once: no call was in flight");
        }
    }
}
