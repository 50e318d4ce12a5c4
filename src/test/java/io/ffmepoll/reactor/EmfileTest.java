package io.ffmepoll.reactor;

import io.ffmepoll.epoll.ChildJvm;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class EmfileTest {

    /**
     * Under {@code ulimit -n 64} the child runs out of descriptors on accept. It must keep
     * serving the connections it has, not spin on the still-readable listener while clients
     * keep arriving, and accept again once descriptors are freed.
     */
    @Test
    void outOfDescriptorsNeitherSpinsNorStopsServiceAndAcceptResumesWhenFdsAreFreed() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            Process child = ChildJvm.start(EmfileServerMain.class, 64);
            List<Socket> served = new ArrayList<>();
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.US_ASCII));
                String line = out.readLine();
                assertTrue(line != null && line.startsWith("listening "), "child said: " + line);
                int port = Integer.parseInt(line.substring("listening ".length()).trim());

                // 1. Fill the descriptor table with served connections.
                boolean saturated = false;
                for (int i = 0; i < 200 && !saturated; i++) {
                    Socket s = new Socket();
                    s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
                    s.setSoTimeout(1000);
                    if (echoes(s)) {
                        served.add(s);
                    } else {
                        saturated = true;
                        s.close();
                    }
                }
                assertTrue(saturated, "never ran out of descriptors with " + served.size() + " connections");
                assertTrue(served.size() >= 5, "served only " + served.size());

                // 2. While clients keep arriving, the child must not spin.
                AtomicBoolean stop = new AtomicBoolean();
                Thread arrivals = Thread.ofPlatform().start(() -> {
                    while (!stop.get()) {
                        try (Socket s = new Socket()) {
                            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                            Thread.sleep(20);
                        } catch (Exception ignored) {
                            // refused or reset: expected while saturated
                        }
                    }
                });
                long cpu0 = cpuTicks(child.pid());
                Thread.sleep(1500);
                long cpu = cpuTicks(child.pid()) - cpu0;
                stop.set(true);
                arrivals.join();
                assertTrue(cpu < 50, "child used " + cpu + " clock ticks of CPU in 1.5 s while out of descriptors: spinning");

                // 3. Existing connections are still served.
                assertTrue(echoes(served.get(0)), "existing connection no longer served");

                // 4. Free descriptors: accept resumes.
                for (int i = 0; i < 8 && served.size() > 1; i++) served.remove(served.size() - 1).close();
                boolean resumed = false;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!resumed && System.nanoTime() < deadline) {
                    try (Socket s = new Socket()) {
                        s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
                        s.setSoTimeout(1000);
                        resumed = echoes(s);
                    } catch (Exception retry) {
                        Thread.sleep(50);
                    }
                }
                assertTrue(resumed, "accept did not resume after descriptors were freed");
            } finally {
                for (Socket s : served) s.close();
                child.getOutputStream().close();
                if (!child.waitFor(10, TimeUnit.SECONDS)) {
                    child.destroyForcibly();
                    fail("child did not exit after stdin closed");
                }
            }
        });
    }

    private static boolean echoes(Socket s) {
        try {
            s.getOutputStream().write('x');
            return s.getInputStream().read() == 'x';
        } catch (Exception e) {
            return false;
        }
    }

    /** utime + stime of {@code pid}, in clock ticks, from /proc/pid/stat (fields 14 and 15). */
    private static long cpuTicks(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);   // fields 14, 15 counted from 1 (state is 3)
    }
}
