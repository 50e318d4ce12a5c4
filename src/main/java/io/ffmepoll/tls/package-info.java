/**
 * TLS over the reactor, with the JDK's {@link javax.net.ssl.SSLEngine} and nothing else.
 * <ul>
 * <li>{@link io.ffmepoll.tls.Tls}: server or client settings (protocol versions, ALPN, handshake
 *     timeout) and the reactor handlers that carry them.</li>
 * <li>{@link io.ffmepoll.tls.TlsHandler} and {@link io.ffmepoll.tls.TlsConnection}: the
 *     plaintext side, with the reactor's backpressure (watermarks on the ciphertext queue).</li>
 * <li>{@link io.ffmepoll.tls.Pem}: certificates and PKCS#8 keys from PEM files.</li>
 * </ul>
 * The layer sits above {@link io.ffmepoll.reactor} and uses only its public API: a TLS
 * connection is a reactor {@link io.ffmepoll.reactor.Handler} that owns an engine.
 * {@snippet :
 * Tls tls = Tls.server(Pem.serverContext(Path.of("cert.pem"), Path.of("key.pem"))).build();
 * try (Reactor reactor = Reactor.builder().build();
 *      Listener l = reactor.listen(new InetSocketAddress(8443), tls.handlers(() -> (c, data) -> c.write(data)))) {
 *     Thread.sleep(Long.MAX_VALUE);
 * }
 * }
 */
package io.ffmepoll.tls;
