package example.echo;

import io.ffmepoll.reactor.Connection;
import io.ffmepoll.reactor.Handler;
import io.ffmepoll.reactor.Listener;
import io.ffmepoll.reactor.Reactor;

import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A reactor echo server on the class path and one blocking client: sends {@code hello}, prints
 * {@code echoed hello} once the same bytes come back, and shuts the reactor down. Any other
 * outcome throws. Run with {@code --enable-native-access=ALL-UNNAMED}.
 */
public final class EchoOnce {

    private EchoOnce() {}

    public static void main(String[] args) throws Exception {
        try (Reactor reactor = Reactor.builder().loops(1).build();
             Listener listener = reactor.listen(new InetSocketAddress("127.0.0.1", 0), () -> new Handler() {
                 @Override
                 public void onRead(Connection c, MemorySegment data) {
                     if (!c.write(data)) c.pauseReading();
                 }

                 @Override
                 public void onWritabilityChanged(Connection c, boolean writable) {
                     if (writable) c.resumeReading();
                 }
             });
             Socket client = new Socket("127.0.0.1", listener.port())) {
            client.setSoTimeout(10_000);
            byte[] hello = "hello".getBytes(StandardCharsets.US_ASCII);
            client.getOutputStream().write(hello);
            InputStream in = client.getInputStream();
            byte[] back = in.readNBytes(hello.length);
            String echoed = new String(back, StandardCharsets.US_ASCII);
            if (!echoed.equals("hello")) throw new AssertionError("echoed '" + echoed + "'");
            System.out.println("echoed " + echoed);
            reactor.shutdown(Duration.ofSeconds(5));
            if (!reactor.awaitTermination(Duration.ofSeconds(10))) throw new AssertionError("reactor did not stop");
        }
    }
}
