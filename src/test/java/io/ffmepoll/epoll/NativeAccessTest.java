package io.ffmepoll.epoll;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Where the JVM denies native access, the first use of the library says which flag grants it,
 * instead of a bare {@link ExceptionInInitializerError} from the bindings' static initializer.
 */
class NativeAccessTest {

    @Test
    void deniedNativeAccessOnTheModulePathNamesTheFlagToAdd() throws Exception {
        check(true, "--enable-native-access=io.ffmepoll", "Epoll.open");
    }

    @Test
    void deniedNativeAccessOnTheClassPathNamesTheFlagToAdd() throws Exception {
        check(false, "--enable-native-access=ALL-UNNAMED", "Pipe.open");
    }

    @Test
    void deniedNativeAccessAtTheReactorsFirstUseNamesTheFlagToAdd() throws Exception {
        check(true, "--enable-native-access=io.ffmepoll", "Reactor.build");
    }

    @Test
    void grantedNativeAccessWorksAsBefore() throws Exception {
        String out = ChildJvm.output(ChildJvm.start(NativeAccessMain.class, 0, true,
                List.of("--illegal-native-access=deny", "--enable-native-access=io.ffmepoll")));
        for (String line : out.strip().split("\n")) assertTrue(line.endsWith(": ok"), out);
    }

    /**
     * The first use fails with an error naming {@code flag}; so does every later use of a class
     * not yet tried, and a class whose initialization failed before says so.
     */
    private static void check(boolean modulePath, String flag, String first) throws Exception {
        String out = ChildJvm.output(ChildJvm.start(NativeAccessMain.class, 0, modulePath,
                List.of("--illegal-native-access=deny"), first));
        String[] lines = out.strip().split("\n");
        assertEquals(13, lines.length, out);
        assertTrue(lines[0].startsWith(first + ": java.lang.IllegalAccessError | ffm-epoll ")
                && lines[0].contains(flag), out);
        for (String line : lines) {
            assertTrue(line.contains(flag) || line.contains("java.lang.NoClassDefFoundError | Could not initialize class"),
                    "does not name " + flag + ": " + line);
        }
    }
}
