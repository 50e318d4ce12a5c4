package io.ffmepoll.epoll;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a test class's {@code main} in a fresh JVM on the library's module path, with the test
 * classes patched in, optionally under {@code ulimit -n}: for what only a first use in a new
 * JVM, or a process out of descriptors, can show.
 */
public final class ChildJvm {

    private ChildJvm() {}

    /** Starts {@code main} with {@code args}; {@code maxFds} > 0 sets {@code ulimit -n}. Stderr is inherited. */
    public static Process start(Class<?> main, int maxFds, String... args) throws IOException {
        return start(main, maxFds, true, List.of("--enable-native-access=io.ffmepoll"), args);
    }

    /**
     * Starts {@code main} with {@code jvmOptions} in place of the native-access flag: on the
     * module path with the test classes patched in, or ({@code modulePath} false) with the
     * library and the test classes on the class path. Stderr is inherited.
     */
    public static Process start(Class<?> main, int maxFds, boolean modulePath, List<String> jvmOptions, String... args)
            throws IOException {
        String java = ProcessHandle.current().info().command().orElseThrow();
        String libraryPath = System.getProperty("jdk.module.path");
        Path testClasses = Path.of(System.getProperty("basedir", System.getProperty("user.dir")), "target", "test-classes");
        StringBuilder cmd = new StringBuilder();
        if (maxFds > 0) cmd.append("ulimit -n ").append(maxFds).append("; ");
        cmd.append("exec '").append(java).append("'");
        for (String o : jvmOptions) cmd.append(" '").append(o).append("'");
        cmd.append(" -Xshare:auto -XX:TieredStopAtLevel=1");
        if (modulePath) {
            cmd.append(" -p '").append(libraryPath).append("' --patch-module 'io.ffmepoll=").append(testClasses).append("'")
                    .append(" -m io.ffmepoll/").append(main.getName());
        } else {
            cmd.append(" -cp '").append(testClasses).append(":").append(libraryPath).append("' ").append(main.getName());
        }
        for (String a : args) cmd.append(" '").append(a).append("'");
        return new ProcessBuilder("bash", "-c", cmd.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    /**
     * Starts {@code main}, a class outside the library's packages, on the class path (in the
     * unnamed module) while the library stays a named module on the module path: for what
     * depends on the calling module, such as native access. Stderr is inherited.
     */
    public static Process startOutsideTheModule(Class<?> main, List<String> jvmOptions) throws IOException {
        String java = ProcessHandle.current().info().command().orElseThrow();
        String libraryPath = System.getProperty("jdk.module.path");
        Path testClasses = Path.of(System.getProperty("basedir", System.getProperty("user.dir")), "target", "test-classes");
        StringBuilder cmd = new StringBuilder("exec '").append(java).append("'");
        for (String o : jvmOptions) cmd.append(" '").append(o).append("'");
        cmd.append(" -Xshare:auto -XX:TieredStopAtLevel=1 -p '").append(libraryPath)
                .append("' --add-modules io.ffmepoll -cp '").append(testClasses).append("' ").append(main.getName());
        return new ProcessBuilder("bash", "-c", cmd.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    /** Runs {@code main} to completion (at most 60 s) and returns its standard output. */
    public static String run(Class<?> main, int maxFds, String... args) throws IOException, InterruptedException {
        return output(start(main, maxFds, args));
    }

    /** As {@link #run(Class, int, String...)} on the module path, with more JVM options (e.g. {@code --limit-modules}). */
    public static String run(Class<?> main, int maxFds, List<String> jvmOptions, String... args)
            throws IOException, InterruptedException {
        List<String> options = new java.util.ArrayList<>(List.of("--enable-native-access=io.ffmepoll"));
        options.addAll(jvmOptions);
        return output(start(main, maxFds, true, options, args));
    }

    /** Waits for a child (at most 60 s) and returns its standard output. */
    public static String output(Process child) throws IOException, InterruptedException {
        child.getOutputStream().close();
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!child.waitFor(60, TimeUnit.SECONDS)) {
            child.destroyForcibly();
            throw new AssertionError("child did not exit; said: " + out);
        }
        return out;
    }
}
