package io.ffmepoll.bench.compare;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A run in which other processes took more than 10 % of the machine's CPU is flagged in every
 * output: the table (per row), the CSV (per round) and the chart (per bar).
 */
class OtherCpuWarningTest {

    private static final Scenario ECHO = Scenario.ALL.get("echo-50-64");

    private static Compare.Run run(String impl, int round, double otherPercent) {
        return new Compare.Run(ECHO.name(), impl, round, 90_000 + round * 1_000, "msg/s", 1.4, 135_000,
                400, 1_000, 2_000, 100L << 20, Double.NaN, 0, null, otherPercent, Double.NaN, Double.NaN, Double.NaN);
    }

    /** ffm quiet in all three rounds; netty disturbed (25 %) in round 2 only. */
    private static final List<Compare.Run> RUNS = List.of(
            run("ffm", 1, 0.5), run("ffm", 2, 10.0), run("ffm", 3, 3),
            run("netty", 1, 2), run("netty", 2, 25), run("netty", 3, 4));

    @Test
    void otherCpuIsMachineBusyLessServerAndLoadGeneratorAsShareOfAllCpus() {
        // 2 CPUs for 1.5 s = 3 CPU-seconds; 0.9 busy, of which 0.4 server and 0.2 load: 0.3 other.
        assertEquals(10.0, Compare.otherCpuPercent(0.9, 0.4, 0.2, 1.5, 2), 1e-9);
        // Tick rounding can make the others' share slightly negative: that is none.
        assertEquals(0.0, Compare.otherCpuPercent(0.58, 0.4, 0.2, 1.5, 2), 1e-9);
        assertTrue(Double.isNaN(Compare.otherCpuPercent(0.9, 0.4, 0.2, 0, 2)), "no window, no figure");
    }

    @Test
    void tableWarnsOnTheRowWhoseRoundsOtherProcessesDisturbed() {
        String table = Report.table(List.of(ECHO), List.of("ffm", "netty"), RUNS, Map.of(), Map.of());
        String nettyRow = table.lines().filter(l -> l.startsWith("echo-50-64    netty")).findFirst().orElseThrow();
        String ffmRow = table.lines().filter(l -> l.startsWith("echo-50-64    ffm")).findFirst().orElseThrow();
        assertTrue(nettyRow.endsWith("!"), "the disturbed row is marked: " + nettyRow);
        assertFalse(ffmRow.endsWith("!"), "exactly 10 % is not more than 10 %: " + ffmRow);
        assertTrue(table.contains("WARNING: other processes took more than 10% of the CPU in 1 of 3 rounds of netty (up to 25%)"),
                table);
        assertFalse(table.contains("rounds of ffm"), table);
    }

    @Test
    void csvFlagsEachDisturbedRound() {
        List<String> lines = Report.csv(List.of(ECHO), RUNS, 1, true).lines().toList();
        List<String> header = List.of(lines.get(0).split(","));
        int col = header.indexOf("other_cpu_warning");
        assertTrue(col >= 0, "no other_cpu_warning column: " + header);
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",", -1);
            boolean disturbed = f[1].equals("netty") && f[2].equals("2");
            assertEquals(Boolean.toString(disturbed), f[col], line);
        }
    }

    @Test
    void chartWarnsBesideTheDisturbedBar() {
        String svg = Report.svg(List.of(ECHO), List.of("ffm", "netty"), RUNS, "20261128-101010");
        assertEquals(1, count(svg, "other processes took more than 10% of the CPU"), svg);
        assertTrue(svg.contains("netty: other processes took more than 10% of the CPU in 1 of 3 rounds (up to 25%)"), svg);
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) n++;
        return n;
    }
}
