/**
 * Worker threads sharing one epoll instance, beside the {@link io.ffmepoll.reactor per-loop
 * reactor} and built on {@link io.ffmepoll.epoll} and {@link io.ffmepoll.socket} only.
 * <ul>
 * <li>{@link io.ffmepoll.shared.SharedServer}: N workers, one epoll; connections registered with
 *     {@code EPOLLONESHOT} and re-armed with {@code EPOLL_CTL_MOD} after each run, listeners with
 *     {@code EPOLLEXCLUSIVE}; graceful shutdown.</li>
 * <li>{@link io.ffmepoll.shared.SharedHandler} and {@link io.ffmepoll.shared.SharedConnection}:
 *     callbacks that may block, never two at once for one connection; writes with watermarks and
 *     a hard bound.</li>
 * </ul>
 * Choose it over the reactor when handlers block or run long; the reactor costs less per
 * message (no {@code epoll_ctl} per event) when they do not.
 * {@snippet :
 * try (SharedServer server = SharedServer.builder().workers(16).build()) {
 *     server.listen(new InetSocketAddress("127.0.0.1", 7000), () -> (c, data) -> c.write(data));
 *     Thread.sleep(Long.MAX_VALUE);
 * }
 * }
 */
package io.ffmepoll.shared;
