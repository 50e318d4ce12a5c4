package io.ffmepoll.bench.compare;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Starts and stops the server processes, and reads their CPU time, RSS, thread and descriptor
 * counts from /proc. Used by compare, check and soak, from one thread at a time per server.
 */
public final class Servers {

    static final List<String> IMPLS = List.of("ffm", "ffm-shared", "nio", "netty", "netty-uring", "vthreads", "ffm-vthreads", "c");
    /** The implementations with a TLS echo server ({@code --proto echo --tls}): the protocol {@code tls-echo}. */
    static final List<String> TLS_IMPLS = List.of("ffm", "netty");
    private static int nextPort = 21000;

    private Servers() {
    }

    /** A started server process. */
    public record Running(String impl, String proto, Process process, int port, Path log) {
        /** The server's process id. */
        public long pid() {
            return process.pid();
        }

        /** SIGTERM, then a bounded wait; returns a note if it had to be killed. */
        public String stop() {
            process.destroy();
            try {
                if (process.waitFor(5, TimeUnit.SECONDS)) return null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            process.destroyForcibly();
            try {
                process.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return impl + " did not exit within 5 s of SIGTERM";
        }
    }

    /** The benchmarks directory ({@code BENCH_HOME}, set by the launcher). */
    public static String home() {
        String h = System.getenv("BENCH_HOME");
        return h != null ? h : ".";
    }

    /** The command line of one server; {@code pin} puts it on CPU 0 with taskset. */
    static List<String> command(String impl, String proto, int port, int loops, boolean pin) {
        return command(impl, proto, port, loops, pin, List.of(), List.of());
    }

    /** As above, with extra JVM flags (ignored for c) and extra server arguments. */
    static List<String> command(String impl, String proto, int port, int loops, boolean pin,
                                List<String> jvmFlags, List<String> serverArgs) {
        List<String> cmd = new ArrayList<>();
        if (pin) cmd.addAll(List.of("taskset", "-c", "0"));
        String[] args = proto.equals("tls-echo")
                ? new String[] {"--proto", "echo", "--tls", "--port", Integer.toString(port), "--loops", Integer.toString(loops)}
                : new String[] {"--proto", proto, "--port", Integer.toString(port), "--loops", Integer.toString(loops)};
        if (impl.equals("c")) {
            cmd.add(home() + "/target/c/server");
            cmd.addAll(Arrays.asList(args));
            cmd.addAll(serverArgs);
            return cmd;
        }
        String java = System.getenv().getOrDefault("BENCH_JAVA", ProcessHandle.current().info().command().orElse("java"));
        String cp = System.getenv().getOrDefault("BENCH_CP", System.getProperty("java.class.path"));
        cmd.add(java);
        String flags = System.getenv().getOrDefault("BENCH_JAVA_FLAGS", "--enable-native-access=ALL-UNNAMED");
        for (String f : flags.split(" ")) if (!f.isBlank()) cmd.add(f);
        cmd.addAll(jvmFlags);
        String main = switch (impl) {
            case "ffm" -> "io.ffmepoll.bench.ffm.FfmServer";
            case "ffm-shared" -> "io.ffmepoll.bench.ffm.FfmSharedServer";
            case "nio" -> "io.ffmepoll.bench.servers.NioServer";
            case "netty" -> "io.ffmepoll.bench.servers.NettyServer";
            case "netty-uring" -> "io.ffmepoll.bench.servers.NettyUringServer";
            case "vthreads", "ffm-vthreads" -> {
                cmd.add("-Djdk.virtualThreadScheduler.parallelism=" + loops);
                cmd.add("-Djdk.virtualThreadScheduler.maxPoolSize=256");
                yield impl.equals("vthreads") ? "io.ffmepoll.bench.servers.VThreadServer"
                        : "io.ffmepoll.bench.servers.FfmVThreadServer";
            }
            default -> throw new IllegalArgumentException("unknown implementation '" + impl + "' (ffm|ffm-shared|nio|netty|netty-uring|vthreads|ffm-vthreads|c)");
        };
        cmd.add("-cp");
        cmd.add(cp);
        cmd.add(main);
        cmd.addAll(Arrays.asList(args));
        cmd.addAll(serverArgs);
        return cmd;
    }

    /**
     * A server that cannot run on this machine at all (its transport is not offered: exit status
     * {@link io.ffmepoll.bench.servers.NettyServer#UNAVAILABLE}); the message is the server's own
     * one-sentence reason.
     */
    public static final class Unavailable extends IOException {
        private static final long serialVersionUID = 1L;

        Unavailable(String reason) {
            super(reason);
        }
    }

    static boolean canPin() {
        return Runtime.getRuntime().availableProcessors() >= 1 && new File("/usr/bin/taskset").canExecute()
                && cpuCount() >= 2;
    }

    static int cpuCount() {
        try {
            String s = Files.readString(Path.of("/sys/devices/system/cpu/online")).trim();
            int n = 0;
            for (String part : s.split(",")) {
                String[] r = part.split("-");
                n += r.length == 1 ? 1 : Integer.parseInt(r[1]) - Integer.parseInt(r[0]) + 1;
            }
            return n;
        } catch (IOException | RuntimeException e) {
            return Runtime.getRuntime().availableProcessors();
        }
    }

    static synchronized int freePort() {
        for (int tries = 0; tries < 200; tries++) {
            int p = nextPort++;
            if (nextPort > 30000) nextPort = 21000;
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress("127.0.0.1", p));
                return p;
            } catch (IOException busy) {
                // Try the next one.
            }
        }
        throw new IllegalStateException("no free port in 21000..30000");
    }

    /** Starts a server and waits (up to 30 s) for its {@code listening} line. */
    static Running start(String impl, String proto, int loops, boolean pin) throws IOException {
        // A TLS server first makes its self-signed certificate with keytool: a JVM start more.
        return start(impl, proto, loops, pin, List.of(), List.of(), proto.equals("tls-echo") ? 90 : 30);
    }

    /**
     * Starts a server with extra JVM flags and server arguments and waits (up to
     * {@code startSeconds}) for its {@code listening} line; its stderr goes to
     * {@code target/logs/<impl>-<proto>.log}.
     */
    public static Running start(String impl, String proto, int loops, boolean pin, List<String> jvmFlags,
                                List<String> serverArgs, int startSeconds) throws IOException {
        int port = freePort();
        Path logs = Path.of(home(), "target", "logs");
        Files.createDirectories(logs);
        Path log = logs.resolve(impl + "-" + proto + ".log");
        ProcessBuilder pb = new ProcessBuilder(command(impl, proto, port, loops, pin, jvmFlags, serverArgs));
        pb.redirectError(ProcessBuilder.Redirect.to(log.toFile()));
        Process p = pb.start();
        BlockingQueue<String> lines = new ArrayBlockingQueue<>(64);
        Thread drain = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) lines.offer(line);
            } catch (IOException ignored) {
                // The process went away.
            }
        }, "drain-" + impl);
        drain.setDaemon(true);
        drain.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(startSeconds);
        try {
            while (System.nanoTime() < deadline) {
                String line = lines.poll(100, TimeUnit.MILLISECONDS);
                if (line != null && line.startsWith("listening")) return new Running(impl, proto, p, port, log);
                if (line == null && !p.isAlive()) {
                    if (p.exitValue() == io.ffmepoll.bench.servers.NettyServer.UNAVAILABLE) {
                        throw new Unavailable(lastLine(log).replaceFirst("^: ", ""));
                    }
                    throw new IOException(impl + " server exited with status " + p.exitValue() + " before listening"
                            + lastLine(log));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        p.destroyForcibly();
        throw new IOException(impl + " server printed no 'listening' line within " + startSeconds + " s" + lastLine(log));
    }

    private static String lastLine(Path log) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            for (String l : all) {
                if (l.contains("ClassNotFoundException") && l.contains("FfmServer")) {
                    return ": io.ffmepoll.bench.ffm.FfmServer is not in this build (see " + log.getFileName() + ")";
                }
            }
            for (int i = all.size() - 1; i >= 0; i--) {
                if (!all.get(i).isBlank()) return ": " + all.get(i).trim();
            }
        } catch (IOException | RuntimeException ignored) {
            // No log to quote.
        }
        return "";
    }

    private static long clockTicks = -1;

    /** utime + stime of the process in seconds, from /proc/pid/stat. */
    static double cpuSeconds(long pid) {
        try {
            String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
            // After the command name: field 3 (state) is f[0], so utime (14) is f[11], stime (15) f[12].
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
            return ticks / (double) clockTicks();
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    private static long clockTicks() {
        if (clockTicks < 0) {
            clockTicks = 100;
            try {
                Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
                if (p.waitFor() == 0) clockTicks = Long.parseLong(out);
            } catch (IOException | RuntimeException | InterruptedException ignored) {
                // 100 is the Linux USER_HZ on every common architecture.
            }
        }
        return clockTicks;
    }

    /** Seconds all CPUs together spent in user, system or steal time, from /proc/stat. */
    static double busySeconds() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/stat"))) {
                if (line.startsWith("cpu ")) {
                    String[] f = line.trim().split("\\s+");
                    long busy = 0;
                    // user nice system idle iowait irq softirq steal: only user, nice, system and
                    // steal count. Interrupt time is left out because most of it is the loopback
                    // traffic of the run itself, which the kernel charges to no process.
                    for (int i : new int[] {1, 2, 3, 8}) {
                        if (i < f.length) busy += Long.parseLong(f[i]);
                    }
                    return busy / (double) clockTicks();
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // No /proc/stat: the noise column stays empty.
        }
        return Double.NaN;
    }

    /**
     * The kernel's count of connections dropped because an accept queue was full (the counter
     * {@code nstat -az TcpExtListenOverflows} shows), from /proc/net/netstat; -1 if unreadable.
     * It covers the whole network namespace, not one server.
     */
    static long listenOverflows() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/net/netstat"));
            // Pairs of lines: "TcpExt: Name1 Name2 ..." then "TcpExt: 1 2 ...".
            for (int i = 0; i + 1 < lines.size(); i++) {
                if (!lines.get(i).startsWith("TcpExt:")) continue;
                String[] names = lines.get(i).trim().split("\\s+");
                String[] values = lines.get(i + 1).trim().split("\\s+");
                for (int k = 1; k < names.length && k < values.length; k++) {
                    if (names[k].equals("ListenOverflows")) return Long.parseLong(values[k]);
                }
                return -1;
            }
        } catch (IOException | RuntimeException ignored) {
            // No /proc/net/netstat: the overflow count stays unknown.
        }
        return -1;
    }

    /** VmRSS in bytes, from /proc/pid/status; -1 if the process is gone. */
    public static long rssBytes(long pid) {
        long kb = statusNumber(pid, "VmRSS:");
        return kb < 0 ? -1 : kb * 1024;
    }

    /** Threads of the process, from /proc/pid/status; -1 if the process is gone. */
    public static long threadCount(long pid) {
        return statusNumber(pid, "Threads:");
    }

    /** The number on the line of /proc/pid/status that starts with {@code field}, or -1. */
    private static long statusNumber(long pid, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // Gone: reported as -1.
        }
        return -1;
    }

    /** Open descriptors of the process; -1 if the process is gone. */
    public static int fdCount(long pid) {
        String[] l = new File("/proc/" + pid + "/fd").list();
        return l == null ? -1 : l.length;
    }
}
