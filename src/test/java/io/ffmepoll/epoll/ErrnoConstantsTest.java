package io.ffmepoll.epoll;

import io.ffmepoll.internal.gen.Linux;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Errno constants are compile-time constants, each equal to the generated binding of its name. */
class ErrnoConstantsTest {

    /** Compiles only if the constants are constant expressions (a switch label needs one). */
    private static String classify(int errno) {
        return switch (errno) {
            case Errors.EAGAIN -> "again";
            case Errors.EINTR -> "interrupted";
            case Errors.EBADF -> "closed";
            default -> "other";
        };
    }

    @Test
    void errnoConstantsWorkAsSwitchLabels() {
        assertEquals("again", classify(Linux.EAGAIN()));
        assertEquals("interrupted", classify(Linux.EINTR()));
        assertEquals("closed", classify(Linux.EBADF()));
        assertEquals("other", classify(Linux.EPERM()));
    }

    @Test
    void everyErrnoConstantEqualsItsGeneratedBinding() throws Exception {
        int checked = 0;
        for (Field f : Errors.class.getFields()) {
            if (f.getType() != int.class || !Modifier.isStatic(f.getModifiers())) continue;
            int generated = (int) Linux.class.getMethod(f.getName()).invoke(null);
            assertEquals(generated, f.getInt(null), f.getName());
            assertEquals(f.getName(), Errors.name(generated), "name table for " + f.getName());
            checked++;
        }
        assertTrue(checked >= 23, "checked only " + checked + " constants");
    }
}
