package io.ffmepoll.tls;

import io.ffmepoll.reactor.Handler;
import io.ffmepoll.reactor.Reactor;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/**
 * TLS over the reactor with the JDK's {@link SSLEngine}: an immutable set of settings for the
 * server or the client side, and the factory of the {@link Handler}s that carry them.
 * <p>Each connection gets its own engine. The engine's handshake tasks run on the loop thread
 * (about a millisecond of signing or key agreement per full handshake, none on resumption).
 * <p>Defaults a demanding service wants: TLS 1.3 only (no renegotiation exists there; where
 * {@link Builder#protocols} enables TLS 1.2, a renegotiation attempt closes the connection with
 * an {@link javax.net.ssl.SSLHandshakeException}); a 10 s handshake timeout; clients verify the
 * server's name against its certificate ({@code HTTPS} endpoint identification).
 * <p>Thread-safety: immutable; every method may be called from any thread.
 * {@snippet :
 * SSLContext ctx = Pem.serverContext(Path.of("cert.pem"), Path.of("key.pem"));
 * Tls tls = Tls.server(ctx).applicationProtocols("http/1.1").build();
 * try (Reactor reactor = Reactor.builder().build();
 *      Listener l = reactor.listen(new InetSocketAddress(8443), tls.handlers(TlsEcho::new))) {
 *     Thread.sleep(Long.MAX_VALUE);
 * }
 * }
 * A client, resuming its session on a second connection to the same host and port:
 * {@snippet :
 * Tls client = Tls.client(SSLContext.getDefault()).applicationProtocols("http/1.1").build();
 * TlsConnection c = client.connect(reactor, "example.com", 443, new MyClient()).join();  // after the handshake
 * }
 */
public final class Tls {

    private final SSLContext context;
    private final boolean client;
    private final String[] protocols;
    private final String[] applicationProtocols;
    private final long handshakeTimeoutNanos;
    private final boolean needClientAuth;
    private final String endpointIdentification;
    private final boolean directBuffers;

    private Tls(Builder b) {
        this.context = b.context;
        this.client = b.client;
        this.protocols = b.protocols.clone();
        this.applicationProtocols = b.applicationProtocols.clone();
        this.handshakeTimeoutNanos = b.handshakeTimeout.toNanos();
        this.needClientAuth = b.needClientAuth;
        this.endpointIdentification = b.endpointIdentification;
        this.directBuffers = b.directBuffers;
    }

    /**
     * Settings for the server side, with the context's key material. Any thread.
     * @param context the key material (and trust, for client certificates)
     * @return a builder
     */
    public static Builder server(SSLContext context) {
        return new Builder(context, false);
    }

    /**
     * Settings for the client side, with the context's trust material. Any thread.
     * @param context the trust material (and a key, for client certificates)
     * @return a builder
     */
    public static Builder client(SSLContext context) {
        return new Builder(context, true);
    }

    /**
     * Whether these are client settings. Any thread.
     * @return true for client settings
     */
    public boolean isClient() {
        return client;
    }

    /**
     * A reactor handler that runs the TLS protocol for {@code handler}: pass it to
     * {@link Reactor#register} or {@link Reactor#connect}. For a client, without peer hints:
     * no session resumption, no SNI and no endpoint identification, so prefer
     * {@link #wrap(TlsHandler, String, int)}. Any thread.
     * @param handler the plaintext handler of this connection
     * @return the reactor handler that runs TLS for it
     */
    public Handler wrap(TlsHandler handler) {
        return new TlsConnection(this, newEngine(null, -1), Objects.requireNonNull(handler, "handler")).adapter();
    }

    /**
     * A reactor handler that runs the TLS protocol for {@code handler}, with the peer's host and
     * port: a client resumes a session cached for them, sends the host as SNI and checks it
     * against the server's certificate. Any thread.
     * @param handler the plaintext handler of this connection
     * @param peerHost the peer's host name (SNI, identification, session cache)
     * @param peerPort the peer's port (session cache)
     * @return the reactor handler that runs TLS for it
     */
    public Handler wrap(TlsHandler handler, String peerHost, int peerPort) {
        Objects.requireNonNull(peerHost, "peerHost");
        return new TlsConnection(this, newEngine(peerHost, peerPort), Objects.requireNonNull(handler, "handler")).adapter();
    }

    /**
     * Handlers for {@link Reactor#listen}: each accepted connection runs TLS for a handler from
     * {@code handlers}. Any thread.
     * @param handlers a new plaintext handler per connection
     * @return reactor handlers that run TLS for them
     */
    public Supplier<Handler> handlers(Supplier<? extends TlsHandler> handlers) {
        Objects.requireNonNull(handlers, "handlers");
        return () -> wrap(handlers.get());
    }

    /**
     * Connects to {@code host:port} (resolved now, on the calling thread) and runs the
     * handshake; the future completes after {@link TlsHandler#onOpen}, or fails with what closed
     * the connection first (connection refused, an {@link javax.net.ssl.SSLHandshakeException},
     * the handshake timeout). Any thread; on a loop thread compose on the future, never join it.
     * @param reactor the reactor that serves the connection
     * @param host the server's host name
     * @param port the server's port
     * @param handler the plaintext handler
     * @return the connection once its handshake finished
     */
    public CompletableFuture<TlsConnection> connect(Reactor reactor, String host, int port, TlsHandler handler) {
        return connect(reactor, new InetSocketAddress(host, port), host, handler);
    }

    /**
     * Connects to {@code remote}, naming the peer {@code peerHost} (SNI, endpoint identification
     * and the session cache key); as {@link #connect(Reactor, String, int, TlsHandler)}. Any thread.
     * @param reactor the reactor that serves the connection
     * @param remote the address to connect to
     * @param peerHost the server's name
     * @param handler the plaintext handler
     * @return the connection once its handshake finished
     */
    public CompletableFuture<TlsConnection> connect(Reactor reactor, InetSocketAddress remote, String peerHost,
                                                    TlsHandler handler) {
        TlsConnection c = new TlsConnection(this, newEngine(Objects.requireNonNull(peerHost, "peerHost"), remote.getPort()),
                Objects.requireNonNull(handler, "handler"));
        reactor.connect(remote, c.adapter()).whenComplete((conn, failure) -> {
            if (failure != null) c.handshake().completeExceptionally(failure);
        });
        return c.handshake();
    }

    long handshakeTimeoutNanos() {
        return handshakeTimeoutNanos;
    }

    boolean directBuffers() {
        return directBuffers;
    }

    private SSLEngine newEngine(String host, int port) {
        SSLEngine engine = host == null ? context.createSSLEngine() : context.createSSLEngine(host, port);
        engine.setUseClientMode(client);
        SSLParameters p = engine.getSSLParameters();
        p.setProtocols(protocols);
        if (applicationProtocols.length > 0) p.setApplicationProtocols(applicationProtocols);
        if (client) {
            if (host != null) p.setEndpointIdentificationAlgorithm(endpointIdentification);
        } else {
            p.setNeedClientAuth(needClientAuth);
        }
        engine.setSSLParameters(p);
        return engine;
    }

    @Override
    public String toString() {
        return "Tls[" + (client ? "client" : "server") + ", " + Arrays.toString(protocols)
                + (applicationProtocols.length > 0 ? ", ALPN " + Arrays.toString(applicationProtocols) : "") + "]";
    }

    /**
     * Settings for {@link Tls}. Not thread-safe: one thread builds, then shares the immutable
     * {@link Tls}.
     * {@snippet :
     * Tls tls = Tls.server(ctx)
     *         .protocols("TLSv1.3", "TLSv1.2")          // 1.2 too; renegotiation stays refused
     *         .applicationProtocols("h2", "http/1.1")   // server preference order
     *         .handshakeTimeout(Duration.ofSeconds(5))
     *         .build();
     * }
     */
    public static final class Builder {
        private final SSLContext context;
        private final boolean client;
        private String[] protocols = {"TLSv1.3"};
        private String[] applicationProtocols = {};
        private Duration handshakeTimeout = Duration.ofSeconds(10);
        private boolean needClientAuth;
        private String endpointIdentification = "HTTPS";
        private boolean directBuffers = true;

        private Builder(SSLContext context, boolean client) {
            this.context = Objects.requireNonNull(context, "context");
            this.client = client;
        }

        /**
         * Protocol versions to enable (default {@code TLSv1.3} only). Versions before 1.2 are
         * refused here: they are broken, and the JDK disables them anyway.
         * @throws IllegalArgumentException for an empty list, or SSLv3, TLSv1, TLSv1.1
         * @param versions {@code TLSv1.3}, {@code TLSv1.2}
         * @return this builder
         */
        public Builder protocols(String... versions) {
            if (versions.length == 0) throw new IllegalArgumentException("no protocol versions");
            for (String v : versions) {
                if (!List.of("TLSv1.3", "TLSv1.2").contains(v)) {
                    throw new IllegalArgumentException("unsupported protocol version " + v + ": TLSv1.3 or TLSv1.2");
                }
            }
            protocols = versions.clone();
            return this;
        }

        /**
         * ALPN protocol names, in preference order (the server picks the first of its list that
         * the client offers; no common name fails the handshake). Default: no ALPN.
         * @param names ALPN protocol names, preferred first
         * @return this builder
         */
        public Builder applicationProtocols(String... names) {
            for (String n : names) if (n == null || n.isEmpty()) throw new IllegalArgumentException("empty ALPN name");
            applicationProtocols = names.clone();
            return this;
        }

        /**
         * How long the handshake may take from the TCP connection's open (default 10 s); then
         * the connection is reset and {@link TlsHandler#onClose} gets an
         * {@link javax.net.ssl.SSLHandshakeException} that says so. Bounds what a peer that
         * never finishes (or sends one byte at a time) can hold.
         * @throws IllegalArgumentException unless positive
         * @param timeout the longest handshake
         * @return this builder
         */
        public Builder handshakeTimeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("handshake timeout must be positive: " + timeout);
            handshakeTimeout = timeout;
            return this;
        }

        /**
         * Server: require a client certificate (default false).
         * @param need whether a client certificate is required
         * @return this builder
         */
        public Builder needClientAuth(boolean need) {
            needClientAuth = need;
            return this;
        }

        /**
         * Client: the endpoint identification algorithm applied when a peer host is known
         * (default {@code "HTTPS"}: the certificate must name the host); null turns it off.
         * @param algorithm {@code "HTTPS"}, {@code "LDAPS"}, or null
         * @return this builder
         */
        public Builder endpointIdentification(String algorithm) {
            endpointIdentification = algorithm;
            return this;
        }

        /**
         * Whether the engine's network and application buffers are direct (default true: the
         * socket reads and writes native memory, so ciphertext never passes through the heap).
         * Heap buffers cost one more copy each way; this switch exists to measure that.
         * @param direct whether buffers are direct
         * @return this builder
         */
        public Builder directBuffers(boolean direct) {
            directBuffers = direct;
            return this;
        }

        /**
         * The settings.
         * @return the immutable settings
         */
        public Tls build() {
            return new Tls(this);
        }
    }
}
