package io.ffmepoll.bench.compare;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A named load shape of the comparison matrix. */
record Scenario(String name, String proto, String mode, int conns, int idle, int size, int depth, double rate,
                long bytes, double minWarmup, String what, List<String> serverArgs) {

    Scenario(String name, String proto, String mode, int conns, int idle, int size, int depth, double rate,
             long bytes, double minWarmup, String what) {
        this(name, proto, mode, conns, idle, size, depth, rate, bytes, minWarmup, what, List.of());
    }

    static final Map<String, Scenario> ALL = new LinkedHashMap<>();

    static {
        add(new Scenario("echo-50-64", "echo", "closed", 50, 0, 64, 1, 0, 0, 0,
                "50 connections, one 64-byte message in flight each: per-message overhead"));
        add(new Scenario("echo-500-64", "echo", "closed", 500, 0, 64, 1, 0, 0, 0,
                "500 connections, 64 B: more ready descriptors per wait"));
        add(new Scenario("echo-50-4k", "echo", "closed", 50, 0, 4096, 1, 0, 0, 0,
                "50 connections, 4 KiB messages: copy and syscall cost per byte"));
        add(new Scenario("echo-500-4k", "echo", "closed", 500, 0, 4096, 1, 0, 0, 0,
                "500 connections, 4 KiB messages"));
        add(new Scenario("echo-rate-20k", "echo", "open", 50, 0, 64, 1, 20_000, 0, 0,
                "open loop, 20,000 msg/s over 50 connections: latency from the intended send time"));
        add(new Scenario("http-pipe16", "http", "closed", 50, 0, 0, 16, 0, 0, 0,
                "HTTP hello, 50 connections, 16 pipelined requests each: parsing and batched writes"));
        add(new Scenario("http-nopipe", "http", "closed", 50, 0, 0, 1, 0, 0, 0,
                "HTTP hello, 50 connections, one request at a time"));
        add(new Scenario("idle-10k", "echo", "closed", 50, 10_000, 64, 1, 0, 0, 0,
                "10,000 idle connections held open plus 50 active: cost of idle registrations, RSS per connection"));
        add(new Scenario("bulk-1g", "echo", "bulk", 1, 0, 0, 1, 0, 1L << 30, 0,
                "1 GiB streamed through one echo connection: throughput in MiB/s"));
        // TLS warms up for at least 20 s: a server pinned to one core compiles the JDK's record
        // and AES-GCM code for longer than that, and a 5 s warm-up measured ffm at 8,000-10,000
        // msg/s (126 us CPU per message) where the same server serves 58,000 (16 us) once warm.
        add(new Scenario("tls-echo-50-64", "tls-echo", "closed", 50, 0, 64, 1, 0, 0, 20,
                "echo over TLS 1.3 (JDK SSLEngine on both servers: ffm's tls layer, Netty's SslHandler), 50 connections, 64 B"
                        + " (warm-up at least 20 s: the TLS code paths take that long to compile on one core)"));
        add(new Scenario("tls-echo-50-4k", "tls-echo", "closed", 50, 0, 4096, 1, 0, 0, 20,
                "echo over TLS 1.3, 50 connections, 4 KiB messages: encryption and copies per byte (warm-up at least 20 s)"));
        add(new Scenario("churn", "http", "churn", 16, 0, 0, 1, 0, 0, 3,
                "16 clients each connect, send one HTTP request, check the answer, close: accepts per second"
                        + " (warm-up at least 3 s: the JVMs' accept and close paths take that long to compile)"));
        add(new Scenario("accept-storm", "echo", "storm", 9_000, 0, 64, 1, 0, 0, 0,
                "9,000 serial connects to a freshly started server, then one 64-byte echo on each: how a cold"
                        + " server drains its accept queue; listen-queue overflows (TcpExtListenOverflows) are counted"));
        add(new Scenario("work-cpu100", "echo", "open", 50, 0, 64, 1, 4_000, 0, 0,
                "open loop, 4,000 msg/s over 50 connections, each costing 100 us of CPU on the serving thread"
                        + " (--work cpu:100): head-of-line blocking behind busy handlers", List.of("--work", "cpu:100")));
        add(new Scenario("work-block1ms", "echo", "open", 50, 0, 64, 1, 4_000, 0, 0,
                "open loop, 4,000 msg/s over 50 connections, each making a 1 ms blocking call on the serving thread"
                        + " (--work sleep:1000): what a per-loop server cannot hide", List.of("--work", "sleep:1000")));
        add(new Scenario("startup", "echo", "startup", 0, 0, 0, 1, 0, 0, 0,
                "a fresh echo server per run: ms from launch to 'listening', CPU used by then, classes loaded by then,"
                        + " RSS after 2 s idle (Startup)"));
    }

    private static void add(Scenario s) {
        ALL.put(s.name, s);
    }

    /** Unit of the CPU cost column. */
    String cpuUnit() {
        return switch (mode) {
            case "bulk" -> "cpu-s/GiB";
            case "churn", "storm" -> "cpu-s/M conn";
            case "startup" -> "cpu-s to listening";
            default -> "cpu-s/M msg";
        };
    }
}
