package io.ffmepoll.reactor;

import java.lang.foreign.MemorySegment;
import java.net.SocketAddress;

/**
 * What a UDP endpoint does with each datagram. Called on the endpoint's loop thread only; a
 * handler that throws is counted and the endpoint keeps serving (a datagram socket has no
 * connection to close). Only an endpoint's first failure is logged at WARNING, so that a peer
 * whose every datagram makes the handler throw cannot flood the log (see
 * {@link DatagramEndpoint}).
 * {@snippet :
 * reactor.bindUdp(new InetSocketAddress("127.0.0.1", 9000),
 *         () -> (endpoint, data, sender) -> endpoint.send(data, sender));   // UDP echo
 * }
 */
@FunctionalInterface
public interface DatagramHandler {

    /**
     * One datagram arrived. {@code data} is valid only during this call.
     * @param sender where it came from; reply with {@link DatagramEndpoint#send}
     * @param endpoint the endpoint that received it, to send replies from
     * @param data the datagram's bytes
     */
    void onDatagram(DatagramEndpoint endpoint, MemorySegment data, SocketAddress sender);

    /**
     * The endpoint closed ({@code cause} null when closed on purpose).
     * @param endpoint the endpoint that closed
     * @param cause the error that closed it, or null
     */
    default void onClose(DatagramEndpoint endpoint, Throwable cause) {}
}
