package io.ffmepoll.bench.servers;

import io.ffmepoll.bench.common.Args;
import io.ffmepoll.bench.common.HttpHello;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;

/**
 * One virtual thread per connection on blocking sockets: the style the JDK now recommends.
 * {@code --loops K} sets the virtual-thread scheduler's parallelism (the launcher also passes
 * it as a system property, which is what takes effect when set before the first virtual thread).
 */
public final class VThreadServer {

    private static final int BUFFER = 16 * 1024;

    public static void main(String[] argv) throws IOException {
        Args args = new Args(argv);
        boolean http = ServerMain.httpProto(args);
        io.ffmepoll.bench.common.Work.configure(args.get("work", "none"));
        ServerMain.virtualThreadParallelism(args);
        ServerSocket server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(ServerMain.host(args), (int) args.number("port", 0)), 4096);
        ServerMain.acceptForever(server.getLocalPort(), server::accept, s -> serve(s, http));
    }

    private static void serve(Socket s, boolean http) {
        try (s) {
            s.setTcpNoDelay(true);
            serve(s.getInputStream(), s.getOutputStream(), http);
        } catch (IOException e) {
            // Peer reset or went away: the connection ends, the server goes on.
        }
    }

    /**
     * One connection's loop over blocking streams, until EOF: echo, or the HTTP hello protocol.
     * Shared with {@link FfmVThreadServer}, so the two virtual-thread servers differ only in
     * their sockets.
     */
    static void serve(InputStream in, OutputStream out, boolean http) throws IOException {
        byte[] buf = new byte[BUFFER];
        if (!http) {
            int n;
            while ((n = in.read(buf)) > 0) {
                io.ffmepoll.bench.common.Work.perBytes(n);
                out.write(buf, 0, n);
            }
            return;
        }
        ByteBuffer view = ByteBuffer.wrap(buf);
        byte[] resp = new byte[BUFFER];
        int filled = 0;
        while (true) {
            int n = in.read(buf, filled, buf.length - filled);
            if (n < 0) return;
            filled += n;
            int start = 0;
            int outLen = 0;
            while (true) {
                int len = HttpHello.parse(view, start, filled);
                if (len == HttpHello.INCOMPLETE) break;
                if (len < 0) {
                    out.write(resp, 0, outLen);
                    out.write(len == HttpHello.BAD ? HttpHello.BAD_REQUEST : HttpHello.TOO_LARGE);
                    return;
                }
                if (outLen + HttpHello.RESPONSE.length > resp.length) {
                    out.write(resp, 0, outLen);
                    outLen = 0;
                }
                System.arraycopy(HttpHello.RESPONSE, 0, resp, outLen, HttpHello.RESPONSE.length);
                outLen += HttpHello.RESPONSE.length;
                start += len;
            }
            if (outLen > 0) out.write(resp, 0, outLen);
            System.arraycopy(buf, start, buf, 0, filled - start);
            filled -= start;
        }
    }
}
