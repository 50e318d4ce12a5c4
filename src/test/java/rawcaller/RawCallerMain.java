package rawcaller;

import io.ffmepoll.epoll.Pipe;
import io.ffmepoll.socket.ReceivedDescriptor;
import io.ffmepoll.socket.UdpSocket;

import java.net.StandardProtocolFamily;

/**
 * Calls the library's restricted methods from a class outside the library's module (this
 * package is on the class path, in the unnamed module) and prints one line per call:
 * {@code name: ok} or {@code name: <exception class> | <message>}.
 */
public final class RawCallerMain {

    interface Use {
        void run() throws Exception;
    }

    public static void main(String[] args) throws Exception {
        try (Pipe pipe = Pipe.open(); UdpSocket udp = UdpSocket.open(StandardProtocolFamily.INET)) {
            int fd = pipe.source().detach();   // not restricted: handing a number back breaks nothing
            int[] keepAlive = {1};
            report("adopt", () -> ReceivedDescriptor.adopt(fd).close());
            report("setRawOption(int)", () -> udp.setRawOption(1, 9, keepAlive[0]));          // SOL_SOCKET, SO_KEEPALIVE
            report("setRawOption(bytes)", () -> udp.setRawOption(1, 9, new byte[] {1, 0, 0, 0}));
            report("getRawIntOption", () -> udp.getRawIntOption(1, 9));
            report("getRawOption", () -> udp.getRawOption(1, 9, new byte[4]));
        }
    }

    private static void report(String name, Use use) {
        try {
            use.run();
            System.out.println(name + ": ok");
        } catch (Throwable t) {
            System.out.println(name + ": " + t.getClass().getName() + " | " + t.getMessage());
        }
    }
}
