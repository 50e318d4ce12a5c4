package io.ffmepoll.bench.common;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Where compare and soak write: out of the tracked tree unless asked to keep the files. */
class ResultsTest {

    /** The benchmarks directory of this checkout (surefire runs in it). */
    private static final Path HOME = Path.of("").toAbsolutePath();

    @Test
    void resultsDoNotDirtyTheTrackedTreeByDefault() throws Exception {
        Path dir = Results.dir(new Args(new String[0]), HOME);
        assertEquals(HOME.resolve("target").resolve("results"), dir);
        assertTrue(gitIgnores(dir.resolve("20261128-101010.csv")), dir + " is not ignored by git");
    }

    @Test
    void keepWritesBesideTheTrackedResults() {
        assertEquals(HOME.resolve("results"), Results.dir(new Args(new String[] {"--keep"}), HOME));
    }

    @Test
    void outNamesTheDirectory(@org.junit.jupiter.api.io.TempDir Path tmp) {
        assertEquals(tmp.resolve("mine"), Results.dir(new Args(new String[] {"--out", tmp.resolve("mine").toString()}), HOME));
        assertEquals(Path.of("rel").toAbsolutePath(), Results.dir(new Args(new String[] {"--out", "rel"}), HOME),
                "a relative --out is taken from where the command was started, which the launcher keeps");
    }

    /**
     * {@code git check-ignore}: true when git would not list the file as untracked. Outside a git
     * checkout (a source tarball) or without git, there is nothing to dirty: the check is skipped.
     */
    private static boolean gitIgnores(Path file) throws InterruptedException {
        int status;
        try {
            Process p = new ProcessBuilder("git", "check-ignore", "-q", file.toString())
                    .directory(HOME.toFile()).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            status = p.waitFor();
        } catch (IOException noGit) {
            status = -1;
        }
        assumeTrue(status == 0 || status == 1, "no git checkout to check against (git check-ignore status " + status + ")");
        return status == 0;
    }
}
