/**
 * Blocking stream sockets for virtual threads, on ffm-epoll: {@link io.ffmepoll.blocking.BlockingStream}
 * (TCP and Unix domain, with {@link java.io.InputStream}/{@link java.io.OutputStream} adapters)
 * and {@link io.ffmepoll.blocking.BlockingListener}.
 * <p>A read, write, accept or connect that would block parks the calling thread; a
 * {@link io.ffmepoll.blocking.Poller} thread waiting on epoll unparks it. Each socket is
 * registered once, edge-triggered, and never re-armed, so blocking costs no {@code epoll_ctl};
 * the JDK's own sockets re-arm a ONESHOT registration every time a virtual thread blocks.
 * <p>This package sits beside the reactor and uses only {@link io.ffmepoll.epoll} and
 * {@link io.ffmepoll.socket}.
 * {@snippet :
 * try (BlockingListener listener = BlockingListener.bind(new InetSocketAddress("127.0.0.1", 0), 128)) {
 *     for (;;) {
 *         BlockingStream s = listener.accept();
 *         Thread.ofVirtual().start(() -> {
 *             try (s) {
 *                 s.inputStream().transferTo(s.outputStream());   // echo
 *             } catch (IOException e) {
 *                 // the peer reset the connection
 *             }
 *         });
 *     }
 * }
 * }
 */
package io.ffmepoll.blocking;
