package io.ffmepoll.epoll;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The library needs nothing beyond java.base at run time: a {@code jlink} image of java.base and
 * io.ffmepoll alone runs the module-path example ({@code examples/modular}, an eventfd woken
 * from another thread) and the class-path one ({@code examples/classpath}, a reactor echo).
 * jdk.jfr is an optional ({@code requires static}) dependency.
 */
class MinimalRuntimeTest {

    private static final Path BASEDIR = Path.of(System.getProperty("basedir", System.getProperty("user.dir")));

    @Test
    void jlinkRuntimeWithJavaBaseAndTheModuleOnlyRunsTheEpollExample(@TempDir Path tmp) throws Exception {
        Path jdkBin = Path.of(System.getProperty("java.home"), "bin");
        Path library = BASEDIR.resolve("target/classes");
        Path example = compile(jdkBin, "--module-path", library, tmp.resolve("modular"), "examples/modular");
        Path echo = compile(jdkBin, "--class-path", library, tmp.resolve("classpath"), "examples/classpath");

        Path image = tmp.resolve("image");
        // generate-jli-classes traces lambda forms in a JVM of its own: seconds, useless here.
        run(List.of(jdkBin.resolve("jlink").toString(), "--module-path", library.toString(),
                "--add-modules", "io.ffmepoll", "--output", image.toString(),
                "--no-header-files", "--no-man-pages", "--disable-plugin", "generate-jli-classes"));
        String modules = Files.readAllLines(image.resolve("release")).stream()
                .filter(l -> l.startsWith("MODULES=")).findFirst().orElseThrow();
        assertEquals("MODULES=\"java.base io.ffmepoll\"", modules, "modules jlink had to add to io.ffmepoll");

        String out = run(List.of(image.resolve("bin/java").toString(), "--enable-native-access=io.ffmepoll",
                "--module-path", example.toString(), "-m", "io.ffmepoll.example.wake/io.ffmepoll.example.wake.Wake"));
        assertTrue(out.contains("woken 1"), out);

        // The reactor too: its JFR event class must not even be loaded where jdk.jfr is absent.
        out = run(List.of(image.resolve("bin/java").toString(), "--enable-native-access=io.ffmepoll",
                "-cp", echo.toString(), "example.echo.EchoOnce"));
        assertTrue(out.contains("echoed hello"), out);
    }

    /** Compiles an example project's sources against the library; the output directory. */
    private static Path compile(Path jdkBin, String pathOption, Path library, Path out, String project)
            throws IOException, InterruptedException {
        List<String> javac = new ArrayList<>(List.of(jdkBin.resolve("javac").toString(),
                pathOption, library.toString(), "-d", out.toString()));
        try (Stream<Path> sources = Files.walk(BASEDIR.resolve(project).resolve("src/main/java"))) {
            sources.filter(p -> p.toString().endsWith(".java")).forEach(p -> javac.add(p.toString()));
        }
        run(javac);
        return out;
    }

    /** Runs a command to completion (2 minutes at most); its output, or an error quoting it. */
    private static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(2, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + command + "\n" + out);
        }
        assertEquals(0, p.exitValue(), () -> String.join(" ", command) + " said:\n" + out);
        return out;
    }
}
