package io.ffmepoll.bench.soak;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The soak's growth rule on series shaped like what the samplers see. */
class TrendTest {

    private static double[] series(int n, java.util.function.IntToDoubleFunction f) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = f.applyAsDouble(i);
        return v;
    }

    /**
     * Descriptors under traffic: a fixed pool plus the connections in flight at the moment of a
     * sample, whose typical number may shift by a few between the thirds without any leak.
     */
    @Test
    void descriptorsThatOnlyJitterOrShiftByAFewDoNotCountAsGrowth() {
        Random r = new Random(1);
        Trend t = Trend.of(series(30, i -> (i < 20 ? 93 : 95) + r.nextInt(2)), 4, 0);
        assertFalse(t.grew(), t.describe(1, ""));
    }

    /** One descriptor leaked per few connections: a steady climb, caught by the absolute slack. */
    @Test
    void descriptorsThatClimbSteadilyAreGrowth() {
        Trend t = Trend.of(series(30, i -> 93 + i), 4, 0);
        assertTrue(t.grew(), t.describe(1, ""));
    }

    /** Pools, JIT and heap sizing settle in the first third: growth there is not a leak. */
    @Test
    void growthConfinedToTheWarmUpThirdIsIgnored() {
        Trend t = Trend.of(series(30, i -> i < 10 ? 60 + 4 * i : 100), 4, 0.1);
        assertFalse(t.grew(), t.describe(1, ""));
    }

    /** A full GC that has not returned memory yet, or a burst at sample time: single samples do not count. */
    @Test
    void isolatedSpikesInTheLastThirdAreIgnored() {
        Trend t = Trend.of(series(30, i -> i == 22 || i == 27 ? 400 : 100), 4, 0.1);
        assertFalse(t.grew(), t.describe(1, ""));
    }

    /** Memory retained per connection: the whole last third sits above the middle one. */
    @Test
    void memoryThatKeepsGrowingPastTheRelativeSlackIsGrowth() {
        Trend t = Trend.of(series(30, i -> 80 + 2 * i), 4, 0.1);
        assertTrue(t.grew(), t.describe(1, ""));
    }

    @Test
    void tooFewSamplesGiveNoVerdictRatherThanAGuess() {
        Trend t = Trend.of(series(5, i -> 10 * i), 1, 0);
        assertFalse(t.decided());
        assertFalse(t.grew());
    }

    /** Values that could not be read (-1, e.g. a jcmd that timed out) are left out, not taken for a drop. */
    @Test
    void unreadSamplesAreLeftOutNotTakenForADrop() {
        Trend t = Trend.of(series(30, i -> i >= 10 && i < 17 ? -1 : 100), 4, 0);
        assertTrue(t.decided());
        assertFalse(t.grew(), t.describe(1, ""));
    }
}
