package io.ffmepoll.bench.compare;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The chart says what it was measured on and how far the rounds spread, not only the medians. */
class ChartTest {

    private static final Scenario ECHO = Scenario.ALL.get("echo-50-64");

    private static Compare.Run run(String impl, int round, double throughput) {
        return new Compare.Run(ECHO.name(), impl, round, throughput, "msg/s", 1.4, 135_000,
                400, 1_000, 2_000, 100L << 20, Double.NaN, 0, null, 1, Double.NaN, Double.NaN, Double.NaN);
    }

    @Test
    void chartNamesTheMachineKernelJdkAndTheSpreadOfTheRounds() throws Exception {
        String svg = Report.svg(List.of(ECHO), List.of("ffm"),
                List.of(run("ffm", 1, 91_000), run("ffm", 2, 95_500), run("ffm", 3, 93_000)), "20261128-101010");
        String kernel = Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim();
        String model = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse(System.getProperty("os.arch"));
        assertTrue(svg.contains(model), "CPU model " + model + " missing:\n" + svg);
        assertTrue(svg.contains(Servers.cpuCount() + " CPUs"), "CPU count missing:\n" + svg);
        assertTrue(svg.contains("Linux " + kernel), "kernel missing:\n" + svg);
        assertTrue(svg.contains("JDK " + Runtime.version()), "JDK missing:\n" + svg);
        assertTrue(svg.contains("rounds 91,000–95,500"), "spread of the rounds missing:\n" + svg);
    }
}
