package io.ffmepoll.reactor;

import io.ffmepoll.epoll.ChildJvm;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's reactor example serves, and stops cleanly when the process gets SIGTERM. */
class ReadmeServerTest {

    @Test
    void readmeServerShutsDownCleanlyOnSigterm() throws Exception {
        Process server = ChildJvm.start(ReadmeServerMain.class, 0, "0");
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
            String listening = out.readLine();
            assertTrue(listening != null && listening.startsWith("listening "), "said: " + listening);
            int port = Integer.parseInt(listening.substring("listening ".length()));
            try (Socket client = new Socket("127.0.0.1", port)) {
                client.setSoTimeout(20_000);
                byte[] ping = "ping".getBytes(StandardCharsets.US_ASCII);
                client.getOutputStream().write(ping);
                assertArrayEquals(ping, client.getInputStream().readNBytes(ping.length));

                server.toHandle().destroy();   // SIGTERM (Process.destroy would also close our pipes)
                assertEquals(-1, client.getInputStream().read(), "an orderly end of stream, not a reset");
            }
            assertTrue(server.waitFor(20, TimeUnit.SECONDS), "the server did not exit");
            assertEquals("stopped", out.readLine(), "the shutdown hook closed the reactor");
        } finally {
            server.destroyForcibly();
        }
    }
}
