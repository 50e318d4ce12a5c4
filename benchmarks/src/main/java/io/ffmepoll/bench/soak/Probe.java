package io.ffmepoll.bench.soak;

import io.ffmepoll.bench.compare.Servers;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Measures one server process from outside: /proc for descriptors, threads and RSS; one
 * {@code jcmd <pid> -f <file>} per sample for a full GC, the heap in use after it and the NMT
 * summary (the server runs with {@code -XX:NativeMemoryTracking=summary}); the loop counters
 * from the lines {@code FfmServer --counters-every} appends to its stderr log.
 * Not thread-safe: one thread samples one probe at a time.
 */
final class Probe {

    /** What one jcmd attach runs, in order. */
    static final String JCMD_COMMANDS = "GC.run\nGC.heap_info\nVM.native_memory summary\n";

    private static final Pattern HEAP_USED = Pattern.compile("(?m)^.*\\btotal\\b.*\\bused (\\d+)K");
    private static final Pattern ZHEAP_USED = Pattern.compile("(?m)^\\s*ZHeap\\s+used (\\d+)M");
    private static final Pattern NMT_TOTAL = Pattern.compile("(?m)^Total: reserved=\\d+KB, committed=(\\d+)KB");
    private static final Pattern NMT_HEAP = Pattern.compile("(?m)^-\\s+Java Heap \\(reserved=\\d+KB, committed=(\\d+)KB");
    private static final Pattern NMT_OTHER = Pattern.compile("(?m)^-\\s+Other \\(reserved=\\d+KB, committed=(\\d+)KB");
    private static final Pattern COUNTERS = Pattern.compile(
            "^loop (\\d+): .* accepted=(\\d+) open=(\\d+) .* acceptErrors=(\\d+) handlerFailures=(\\d+) .*$");

    final String name;
    final Servers.Running server;
    private final Path jcmd;
    private final Path commands;
    /** Latest counter line per loop index. */
    private final Map<Integer, long[]> counters = new TreeMap<>();
    private long logOffset;
    private String lastJcmdProblem;

    Probe(String name, Servers.Running server, Path jcmd, Path commands) {
        this.name = name;
        this.server = server;
        this.jcmd = jcmd;
        this.commands = commands;
    }

    /** Measures the server now. */
    Sample sample(double seconds, String phase) {
        long pid = server.pid();
        long heap = -1;
        long nativeBytes = -1;
        long other = -1;
        String out = runJcmd(pid);
        if (out != null) {
            // GC.heap_info comes before the NMT report; the heap lines are those with "total".
            int nmt = out.indexOf("Native Memory Tracking:");
            String heapInfo = nmt < 0 ? out : out.substring(0, nmt);
            long kb = sumKb(HEAP_USED, heapInfo);
            heap = kb < 0 ? -1 : kb * 1024;
            Matcher z = ZHEAP_USED.matcher(heapInfo);
            if (heap <= 0 && z.find()) heap = Long.parseLong(z.group(1)) << 20;
            long total = firstKb(NMT_TOTAL, out);
            long javaHeap = firstKb(NMT_HEAP, out);
            if (total >= 0 && javaHeap >= 0) nativeBytes = (total - javaHeap) * 1024;
            long o = firstKb(NMT_OTHER, out);
            // NMT omits a category under 1 KB: no line means (almost) nothing allocated.
            other = nmt < 0 ? -1 : Math.max(0, o) * 1024;
        }
        readCounters();
        long accepted = 0;
        long open = 0;
        long acceptErrors = 0;
        long handlerFailures = 0;
        for (long[] c : counters.values()) {
            accepted += c[0];
            open += c[1];
            acceptErrors += c[2];
            handlerFailures += c[3];
        }
        boolean noCounters = counters.isEmpty();
        return new Sample(name, seconds, phase, Servers.fdCount(pid), Servers.threadCount(pid), Servers.rssBytes(pid),
                heap, nativeBytes, other, noCounters ? -1 : accepted, noCounters ? -1 : open,
                noCounters ? -1 : acceptErrors, noCounters ? -1 : handlerFailures);
    }

    /** Why the last jcmd gave nothing, or null. */
    String jcmdProblem() {
        return lastJcmdProblem;
    }

    /** The descriptors the process has open now, as their /proc/pid/fd link targets. */
    List<String> openFiles() {
        List<String> files = new ArrayList<>();
        try (var s = Files.list(Path.of("/proc/" + server.pid() + "/fd"))) {
            for (Path p : (Iterable<Path>) s::iterator) {
                try {
                    files.add(Files.readSymbolicLink(p).toString());
                } catch (IOException gone) {
                    // Closed while listing.
                }
            }
        } catch (IOException gone) {
            // The process is gone: nothing open.
        }
        return files;
    }

    private String runJcmd(long pid) {
        try {
            // jcmd is a JVM itself: the serial GC and C1 only make it start with less CPU.
            Process p = new ProcessBuilder(jcmd.toString(), "-J-XX:+UseSerialGC", "-J-XX:TieredStopAtLevel=1",
                    Long.toString(pid), "-f", commands.toString())
                    .redirectErrorStream(true).start();
            byte[] bytes = p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                lastJcmdProblem = "jcmd did not finish within 30 s";
                return null;
            }
            String out = new String(bytes, StandardCharsets.UTF_8);
            if (p.exitValue() != 0 || !out.contains("Native Memory Tracking:")) {
                lastJcmdProblem = "jcmd exit " + p.exitValue() + ": " + out.strip().lines().reduce((a, b) -> b).orElse("");
                return null;
            }
            lastJcmdProblem = null;
            return out;
        } catch (IOException e) {
            lastJcmdProblem = "jcmd: " + e.getMessage();
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static long sumKb(Pattern p, String s) {
        Matcher m = p.matcher(s);
        long sum = 0;
        boolean any = false;
        while (m.find()) {
            sum += Long.parseLong(m.group(1));
            any = true;
        }
        return any ? sum : -1;
    }

    private static long firstKb(Pattern p, String s) {
        Matcher m = p.matcher(s);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /** Reads the counter lines the server appended to its log since the last call. */
    private void readCounters() {
        try (RandomAccessFile f = new RandomAccessFile(server.log().toFile(), "r")) {
            long len = f.length();
            if (len <= logOffset) return;
            byte[] b = new byte[(int) Math.min(len - logOffset, 1 << 20)];
            f.seek(len - b.length);
            f.readFully(b);
            String text = new String(b, StandardCharsets.UTF_8);
            // Only whole lines count; a line being written is read next time.
            int end = text.lastIndexOf('\n');
            if (end < 0) return;
            logOffset = len - b.length + text.substring(0, end + 1).getBytes(StandardCharsets.UTF_8).length;
            for (String line : text.substring(0, end).split("\n")) {
                Matcher m = COUNTERS.matcher(line);
                if (m.matches()) {
                    counters.put(Integer.parseInt(m.group(1)), new long[] {Long.parseLong(m.group(2)),
                            Long.parseLong(m.group(3)), Long.parseLong(m.group(4)), Long.parseLong(m.group(5))});
                }
            }
        } catch (IOException | RuntimeException e) {
            // No log yet: the counters stay as they were.
        }
    }
}
