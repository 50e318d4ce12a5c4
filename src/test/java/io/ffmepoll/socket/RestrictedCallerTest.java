package io.ffmepoll.socket;

import io.ffmepoll.epoll.ChildJvm;
import org.junit.jupiter.api.Test;
import rawcaller.RawCallerMain;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Adopting a raw fd and the raw option calls are restricted: allowed only to a calling module
 * with native access enabled, whatever the library's own module has. The caller runs in a child
 * JVM, on the class path, with the library on the module path.
 */
class RestrictedCallerTest {

    private static final int CALLS = 5;

    @Test
    void aCallerWithoutNativeAccessIsRefusedWithTheFlagToAdd() throws Exception {
        String out = ChildJvm.output(ChildJvm.startOutsideTheModule(RawCallerMain.class,
                List.of("--enable-native-access=io.ffmepoll")));
        String[] lines = out.strip().split("\n");
        assertEquals(CALLS, lines.length, out);
        for (String line : lines) {
            assertTrue(line.contains(": java.lang.IllegalCallerException | ")
                    && line.contains("is restricted") && line.contains("add --enable-native-access=ALL-UNNAMED"),
                    line);
        }
    }

    @Test
    void aCallerWithNativeAccessMayAdoptAndSetRawOptions() throws Exception {
        String out = ChildJvm.output(ChildJvm.startOutsideTheModule(RawCallerMain.class,
                List.of("--enable-native-access=io.ffmepoll,ALL-UNNAMED")));
        String[] lines = out.strip().split("\n");
        assertEquals(CALLS, lines.length, out);
        for (String line : lines) assertTrue(line.endsWith(": ok"), line);
    }
}
