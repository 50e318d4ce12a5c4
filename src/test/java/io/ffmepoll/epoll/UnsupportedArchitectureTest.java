package io.ffmepoll.epoll;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * On an architecture without bindings, every first use of the library fails with one sentence
 * naming {@code os.arch}, instead of running with another architecture's constants and layouts.
 * The child JVM simulates the architecture by overriding {@code os.arch}.
 */
class UnsupportedArchitectureTest {

    @Test
    void anUnsupportedArchitectureIsRefusedAtFirstUseInOneSentence() throws Exception {
        String out = ChildJvm.output(ChildJvm.start(NativeAccessMain.class, 0, true,
                List.of("--enable-native-access=io.ffmepoll", "-Dos.arch=riscv64"), "Epoll.open"));
        String[] lines = out.strip().split("\n");
        assertEquals(13, lines.length, out);
        String sentence = "ffm-epoll has bindings for Linux on x86-64 and aarch64 only, and this JVM runs on os.arch=riscv64";
        assertTrue(lines[0].startsWith("Epoll.open: java.lang.UnsatisfiedLinkError | " + sentence), out);
        for (String line : lines) {
            assertTrue(line.contains(sentence) || line.contains("java.lang.NoClassDefFoundError | Could not initialize class"),
                    "does not refuse the architecture: " + line);
        }
    }
}
