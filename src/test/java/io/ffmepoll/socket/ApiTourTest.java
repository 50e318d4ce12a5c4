package io.ffmepoll.socket;

import io.ffmepoll.epoll.Epoll;
import io.ffmepoll.epoll.EventArray;
import io.ffmepoll.epoll.Interest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The documented tour must keep compiling and working as written. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ApiTourTest {

    @Test
    void theTourEchoesHello() throws Exception {
        String reply = null;
        // --- tour start
        try (Epoll epoll = Epoll.open(); EventArray events = EventArray.allocate(64); Arena arena = Arena.ofConfined();
             TcpListener server = TcpListener.bind(new InetSocketAddress("127.0.0.1", 0), 128);
             TcpStream client = TcpStream.connect(server.localAddress(), Option.TCP_NODELAY.of(true))) {
            Interest et = Interest.of(Interest.IN, Interest.OUT, Interest.RDHUP, Interest.ET);
            epoll.add(server, Interest.of(Interest.IN, Interest.ET), 0);
            epoll.add(client, et, 1);
            MemorySegment buf = arena.allocate(16 * 1024);
            TcpStream conn = null;
            boolean sent = false;
            while (reply == null) {
                int n = epoll.wait(events, 1000);
                for (int i = 0; i < n; i++) {
                    long token = events.token(i);
                    if (token == 0) {                 // listener: accept until null
                        for (TcpStream s; (s = server.accept()) != null; ) {
                            conn = s;
                            epoll.add(s, et, 2);
                        }
                    } else if (token == 1) {          // client: finish connect, send, read the echo
                        if (client.finishConnect() && !sent) sent = client.write(arena.allocateFrom("hello")) > 0;
                        int r = client.read(buf);     // n, Descriptor.WOULD_BLOCK or Descriptor.EOF
                        if (r > 0) reply = buf.getString(0);
                    } else {                          // server side: echo until WOULD_BLOCK
                        for (int r; (r = conn.read(buf)) > 0; ) conn.write(buf.asSlice(0, r));
                    }
                }
            }
            if (conn != null) conn.close();
        }
        // --- tour end
        assertEquals("hello", reply);
    }
}
