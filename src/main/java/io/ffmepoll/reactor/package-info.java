/**
 * An edge-triggered reactor over {@link io.ffmepoll.epoll} and {@link io.ffmepoll.socket}:
 * event loops, connections, timers and backpressure, with no {@code epoll_ctl} on the I/O path.
 * <ul>
 * <li>{@link io.ffmepoll.reactor.Reactor}: a group of loops; {@code listen} (TCP with
 *     {@code SO_REUSEPORT}, Unix domain with {@code EPOLLEXCLUSIVE}), {@code bindUdp},
 *     {@code connect}, graceful {@code shutdown}.</li>
 * <li>{@link io.ffmepoll.reactor.EventLoop}: one thread, one epoll; {@code execute},
 *     {@code schedule} (nanosecond deadlines), {@code register}, {@code counters}.</li>
 * <li>{@link io.ffmepoll.reactor.Handler} and {@link io.ffmepoll.reactor.Connection}: the
 *     per-connection callbacks and what they may do (write with watermarks, pause/resume reading,
 *     shutdownOutput, close after flush, abort).</li>
 * <li>{@link io.ffmepoll.reactor.DatagramHandler} and {@link io.ffmepoll.reactor.DatagramEndpoint}:
 *     UDP, batched with {@code recvmmsg}/{@code sendmmsg}.</li>
 * </ul>
 * {@snippet :
 * try (Reactor reactor = Reactor.builder().loops(2).build();
 *      Listener l = reactor.listen(new InetSocketAddress("127.0.0.1", 7000), () -> new Handler() {
 *          public void onRead(Connection c, MemorySegment data) {
 *              if (!c.write(data)) c.pauseReading();      // echo, with backpressure
 *          }
 *          public void onWritabilityChanged(Connection c, boolean writable) {
 *              if (writable) c.resumeReading();
 *          }
 *      })) {
 *     Thread.sleep(Long.MAX_VALUE);
 * }
 * }
 */
package io.ffmepoll.reactor;
