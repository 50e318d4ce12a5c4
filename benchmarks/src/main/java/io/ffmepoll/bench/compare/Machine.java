package io.ffmepoll.bench.compare;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a comparison ran on, for the table and the chart: CPU model and online CPUs, kernel
 * release, and the JDK (the launcher runs the servers and the load generator on the same one).
 */
record Machine(String cpuModel, int cpus, String kernel, String jdk) {

    /** This machine, from /proc and the running JVM. */
    static Machine current() {
        String model = System.getProperty("os.arch");
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    model = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // The architecture stands in for the model.
        }
        String kernel = System.getProperty("os.version");
        try {
            kernel = Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim();
        } catch (IOException | RuntimeException ignored) {
            // os.version is the same release, as the JVM read it at start.
        }
        String vendor = System.getProperty("java.vendor.version");
        String jdk = "JDK " + Runtime.version() + (vendor == null ? "" : " (" + vendor + ")");
        return new Machine(model, Servers.cpuCount(), kernel, jdk);
    }

    /** One line: "AMD EPYC 7B13, 2 CPUs · Linux 6.18.44 · JDK 25.0.3+9-LTS (Temurin-25.0.3+9)". */
    String describe() {
        return cpuModel + ", " + cpus + " CPUs · Linux " + kernel + " · " + jdk;
    }
}
