package io.ffmepoll.epoll;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Runs a test class's {@code main} in a fresh JVM on the library's module path, with the test
 * classes patched in, optionally under {@code ulimit -n}: for what only a first use in a new
 * JVM, or a process out of descriptors, can show.
 */
public final class ChildJvm {

    private ChildJvm() {}

    /** Starts {@code main} with {@code args}; {@code maxFds} > 0 sets {@code ulimit -n}. Stderr is inherited. */
    public static Process start(Class<?> main, int maxFds, String... args) throws IOException {
        return start(main, maxFds, List.of(), args);
    }

    /** As {@link #start(Class, int, String...)}, with more JVM options (e.g. {@code --limit-modules}). */
    public static Process start(Class<?> main, int maxFds, List<String> jvmOptions, String... args) throws IOException {
        String java = ProcessHandle.current().info().command().orElseThrow();
        String modulePath = System.getProperty("jdk.module.path");
        Path testClasses = Path.of(System.getProperty("basedir", System.getProperty("user.dir")), "target", "test-classes");
        StringBuilder cmd = new StringBuilder();
        if (maxFds > 0) cmd.append("ulimit -n ").append(maxFds).append("; ");
        cmd.append("exec '").append(java).append("' --enable-native-access=io.ffmepoll -Xshare:auto -XX:TieredStopAtLevel=1")
                .append(jvmOptions.stream().map(o -> " '" + o + "'").collect(Collectors.joining()))
                .append(" -p '").append(modulePath).append("' --patch-module 'io.ffmepoll=").append(testClasses).append("'")
                .append(" -m io.ffmepoll/").append(main.getName());
        for (String a : args) cmd.append(" '").append(a).append("'");
        return new ProcessBuilder("bash", "-c", cmd.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    /** Runs {@code main} to completion (at most 60 s) and returns its standard output. */
    public static String run(Class<?> main, int maxFds, String... args) throws IOException, InterruptedException {
        return run(main, maxFds, List.of(), args);
    }

    /** As {@link #run(Class, int, String...)}, with more JVM options. */
    public static String run(Class<?> main, int maxFds, List<String> jvmOptions, String... args)
            throws IOException, InterruptedException {
        Process child = start(main, maxFds, jvmOptions, args);
        child.getOutputStream().close();
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!child.waitFor(60, TimeUnit.SECONDS)) {
            child.destroyForcibly();
            throw new AssertionError("child did not exit; said: " + out);
        }
        return out;
    }
}
