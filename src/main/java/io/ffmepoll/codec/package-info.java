/**
 * Framing over the reactor: cuts a connection's byte stream into messages. Builds on the
 * public {@link io.ffmepoll.reactor.Handler} and {@link io.ffmepoll.reactor.Connection} API only.
 * <ul>
 * <li>{@link io.ffmepoll.codec.FrameDecoder}: where a frame ends (lines and other delimiters,
 *     length fields, fixed lengths, or your own); immutable, shared by every connection.</li>
 * <li>{@link io.ffmepoll.codec.Framed}: the per-connection {@code Handler} that accumulates
 *     partial frames (no copy for a frame that arrives whole) and enforces the maximum frame
 *     length.</li>
 * <li>{@link io.ffmepoll.codec.FrameHandler}: what the application writes: {@code onFrame} plus
 *     the usual handler callbacks.</li>
 * </ul>
 * {@snippet :
 * try (Reactor reactor = Reactor.builder().loops(1).build();
 *      Listener l = reactor.listen(new InetSocketAddress("127.0.0.1", 7000),
 *              () -> new Framed(FrameDecoder.lines(8192, false), (c, line) -> c.write(line)))) {   // line echo
 *     Thread.sleep(Long.MAX_VALUE);
 * }
 * }
 * Errors of the peer's making (a frame over the maximum, input that ends inside a frame, a
 * length field that describes no frame) close the connection with a
 * {@link io.ffmepoll.codec.FrameException}, which {@code Handler.onClose} receives.
 */
package io.ffmepoll.codec;
