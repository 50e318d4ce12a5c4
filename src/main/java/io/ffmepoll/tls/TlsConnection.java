package io.ffmepoll.tls;

import io.ffmepoll.reactor.Connection;
import io.ffmepoll.reactor.EventLoop;
import io.ffmepoll.reactor.Handler;
import io.ffmepoll.reactor.Timeout;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSession;

/**
 * One TLS connection over a reactor {@link Connection}: its {@link SSLEngine}, the ciphertext
 * that has arrived but does not yet form a whole record, and the plaintext side the
 * {@link TlsHandler} sees.
 * <p><b>Buffers and copies.</b> Input is decrypted straight from the loop's read buffer; only a
 * record cut by the end of a read (or input left while reading is paused) is copied aside,
 * into a per-connection buffer of one packet plus what one read returned at most. Plaintext is
 * decrypted into an application buffer and handed to {@link TlsHandler#onRead}; written
 * plaintext is encrypted into a packet buffer that goes to {@link Connection#write}, which
 * sends it at once or queues what the socket does not take. Those two buffers are shared by
 * the loop's connections (each is empty again before the call that filled it returns). The
 * encryptions and decryptions are the copies the engine forces; there are no others on the way.
 * <p><b>Backpressure.</b> Writes are encrypted at once, so everything in flight is the
 * connection's queued ciphertext: {@link #isWritable()}, {@link #queuedBytes()}, the reactor's
 * watermarks and its {@code maxQueuedBytes} bound apply to it unchanged, and
 * {@link TlsHandler#onWritabilityChanged} reports each crossing.
 * <p><b>Threads.</b> As for {@link Connection}: the methods that act ({@code write},
 * {@code close}, {@code pauseReading}...) run on the connection's loop thread (inside callbacks,
 * or in a task given to {@code loop().execute}), elsewhere they throw
 * {@link IllegalStateException}; the getters may be called from any thread and return a recent
 * value. The engine is used by the loop thread only.
 * {@snippet :
 * public void onOpen(TlsConnection c) {
 *     if ("http/1.1".equals(c.applicationProtocol())) c.write(REQUEST);
 * }
 * }
 */
public final class TlsConnection {

    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private final Tls tls;
    private final SSLEngine engine;
    private final TlsHandler handler;
    private final Adapter adapter = new Adapter();
    private final CompletableFuture<TlsConnection> handshake = new CompletableFuture<>();

    private volatile Connection connection;
    /** Ciphertext kept between reads, in write mode (position = bytes kept); made when first needed. */
    private ByteBuffer netIn = EMPTY;
    /** The loop's plaintext buffer (cleared after each delivery) and ciphertext buffer (flushed before each return). */
    private LoopBuffers shared;

    private Timeout handshakeTimer;
    private volatile boolean handshakeDone;
    private boolean openPending;      // handshake finished; onOpen not yet called
    private boolean opened;           // onOpen called
    private volatile boolean closed;
    private boolean closeRequested;
    private boolean outputShutdown;
    private boolean inboundDone;      // close_notify received
    private boolean paused;
    private boolean drainScheduled;
    private Throwable failure;        // what this layer closed the connection for
    private volatile Object attachment;

    TlsConnection(Tls tls, SSLEngine engine, TlsHandler handler) {
        this.tls = tls;
        this.engine = engine;
        this.handler = handler;
    }

    Handler adapter() {
        return adapter;
    }

    CompletableFuture<TlsConnection> handshake() {
        return handshake;
    }

    // ---- getters (any thread)

    /**
     * The reactor connection under this one, for its socket, loop and counters: never write to it or close it directly. Any thread.
     * @return the reactor connection
     */
    public Connection connection() {
        return connection;
    }

    /**
     * The loop serving this connection. Any thread, once open.
     * @return the loop
     */
    public EventLoop loop() {
        return connection.loop();
    }

    /**
     * The handler. Any thread.
     * @return the plaintext handler
     */
    public TlsHandler handler() {
        return handler;
    }

    /**
     * The engine, for inspection (its session, parameters). Do not wrap, unwrap or close it. Any thread, for a snapshot.
     * @return the engine
     */
    public SSLEngine engine() {
        return engine;
    }

    /**
     * The negotiated session (peer certificates, protocol, cipher suite). Any thread; complete once open.
     * @return the session
     */
    public SSLSession session() {
        return engine.getSession();
    }

    /**
     * The ALPN protocol agreed on, or {@code ""} when none was; null before the handshake finished. Any thread.
     * @return the ALPN protocol, {@code ""} or null
     */
    public String applicationProtocol() {
        return handshakeDone ? engine.getApplicationProtocol() : null;
    }

    /**
     * Whether the handshake has finished. Any thread.
     * @return whether the handshake finished
     */
    public boolean isHandshakeDone() {
        return handshakeDone;
    }

    /**
     * Whether the connection is not yet closed. Any thread; once false it stays false.
     * @return whether open
     */
    public boolean isOpen() {
        return !closed;
    }

    /**
     * Whether queued ciphertext is within the watermarks (see the class comment). Any thread.
     * @return whether writes may continue
     */
    public boolean isWritable() {
        Connection c = connection;
        return c != null && c.isWritable();
    }

    /**
     * Ciphertext bytes queued and not yet taken by the socket. Any thread.
     * @return queued ciphertext bytes
     */
    public long queuedBytes() {
        Connection c = connection;
        return c == null ? 0 : c.queuedBytes();
    }

    /**
     * Whether plaintext is delivered to {@link TlsHandler#onRead}. Any thread.
     * @return whether reading
     */
    public boolean isReading() {
        return !paused;
    }

    /**
     * Any object the application keeps with the connection. Any thread.
     * @return the attachment, or null
     */
    public Object attachment() {
        return attachment;
    }

    /**
     * Replaces the attachment. Any thread.
     * @param value the new attachment, or null
     */
    public void attach(Object value) {
        attachment = value;
    }

    // ---- actions (loop thread)

    /**
     * Encrypts {@code data} and sends it (or queues the ciphertext the socket does not take).
     * {@code data} may be reused as soon as this returns. Loop thread only.
     * @return {@link #isWritable()} after the write: false asks the caller to stop producing
     * @throws IllegalStateException before the handshake finished, after close or
     *         {@link #shutdownOutput()}, off the loop thread, or over the reactor's
     *         {@code maxQueuedBytes}
     * @param data the plaintext to send
     */
    public boolean write(MemorySegment data) {
        checkThread();
        if (!opened || closeRequested || outputShutdown) {
            throw new IllegalStateException(!opened ? "TLS handshake not finished" : "connection is closed for output");
        }
        if (closed || failure != null) return false;
        if (data.byteSize() == 0) return connection.isWritable();
        try {
            wrap(data.asByteBuffer());
        } catch (SSLException e) {
            fail(e);
            return false;
        }
        return connection.isWritable();
    }

    /**
     * Encrypts and sends the remaining bytes of {@code data}, advancing its position; as {@link #write(MemorySegment)}.
     * @param data the plaintext to send, from its position to its limit
     * @return {@link #isWritable()} after the write
     */
    public boolean write(ByteBuffer data) {
        boolean w = write(MemorySegment.ofBuffer(data));
        data.position(data.limit());
        return w;
    }

    /**
     * Encrypts and sends {@code data}; as {@link #write(MemorySegment)}.
     * @param data the plaintext to send
     * @return {@link #isWritable()} after the write
     */
    public boolean write(byte[] data) {
        return write(MemorySegment.ofArray(data));
    }

    /** Stops delivering plaintext; the socket stops being read too. Loop thread only. */
    public void pauseReading() {
        checkThread();
        paused = true;
        if (connection.isOpen()) connection.pauseReading();
    }

    /** Resumes delivering plaintext, starting with what was already received. Loop thread only. */
    public void resumeReading() {
        checkThread();
        if (!paused || closed) return;
        paused = false;
        connection.resumeReading();
        if (netIn.position() > 0 && !drainScheduled) {
            // Not now: this is usually called from a callback, maybe from onRead itself.
            drainScheduled = true;
            connection.loop().execute(this::drainKept);
        }
    }

    /**
     * Sends {@code close_notify} after the output written so far, then a TCP FIN; plaintext is
     * still delivered until the peer closes too (a TLS 1.3 half-close). Idempotent. Loop thread only.
     */
    public void shutdownOutput() {
        checkThread();
        if (closed || outputShutdown || closeRequested) return;
        outputShutdown = true;
        sendCloseNotify();
        connection.shutdownOutput();
    }

    /**
     * Sends {@code close_notify} after the output written so far and closes the connection once
     * that is flushed (with the reactor's flush deadline, {@code closeFlushTimeout}). The peer's
     * own {@code close_notify} is not waited for, as TLS allows. Idempotent. Loop thread only.
     */
    public void close() {
        checkThread();
        if (closed || closeRequested) return;
        closeRequested = true;
        if (handshakeDone && !outputShutdown) sendCloseNotify();
        connection.close();
    }

    /** Closes now with a TCP reset, without {@code close_notify}, discarding queued output. Loop thread only. */
    public void abort() {
        checkThread();
        closeRequested = true;
        connection.abort();
    }

    // ---- the engine (loop thread)

    private void sendCloseNotify() {
        engine.closeOutbound();
        try {
            wrapHandshake();
        } catch (SSLException e) {
            failure = failure == null ? e : failure;
        }
    }

    /** Input from the socket: decrypted in place when nothing is kept, else after what is kept. */
    private void received(MemorySegment data) {
        if (netIn.position() == 0 && !paused) {
            ByteBuffer src = data.asByteBuffer();
            unwrap(src);
            if (src.hasRemaining() && !closed && !inboundDone && failure == null) keep(src);
        } else {
            keep(data.asByteBuffer());
            drainKept();
        }
    }

    private void drainKept() {
        drainScheduled = false;
        if (closed || netIn.position() == 0) return;
        netIn.flip();
        try {
            unwrap(netIn);
        } finally {
            netIn.compact();
            // A buffer grown for input kept while paused goes back to one packet once empty.
            if (netIn.position() == 0 && netIn.capacity() > engine.getSession().getPacketBufferSize()) netIn = EMPTY;
        }
    }

    /** Appends {@code src} to the kept ciphertext, growing the buffer for it (bounded: see the class comment). */
    private void keep(ByteBuffer src) {
        if (netIn.remaining() < src.remaining()) {
            int need = netIn.position() + src.remaining();
            ByteBuffer bigger = LoopBuffers.allocate(Math.max(need, engine.getSession().getPacketBufferSize()), tls.directBuffers());
            if (netIn.position() > 0) bigger.put(netIn.flip());
            netIn = bigger;
        }
        netIn.put(src);
    }

    /** Decrypts whole records from {@code src}, running the handshake and delivering plaintext. */
    private void unwrap(ByteBuffer src) {
        LoopBuffers b = shared;
        b.ensureAppIn(engine.getSession().getApplicationBufferSize());
        b.appIn.clear();
        try {
            for (;;) {
                if (closed || failure != null || closeRequested) return;
                if (openPending) {
                    openPending = false;
                    open();
                    continue;
                }
                HandshakeStatus hs = engine.getHandshakeStatus();
                if (hs == HandshakeStatus.NEED_TASK) {
                    runTasks();
                    continue;
                }
                if (hs == HandshakeStatus.NEED_WRAP) {
                    wrapHandshake();
                    continue;
                }
                if (inboundDone || !src.hasRemaining() || (paused && handshakeDone)) return;
                SSLEngineResult r = engine.unwrap(src, b.appIn);
                switch (r.getStatus()) {
                    case BUFFER_UNDERFLOW -> {
                        return;   // a partial record: the caller keeps it
                    }
                    case BUFFER_OVERFLOW -> {
                        // The session's application buffer size grew (it can, once negotiated).
                        deliver();
                        b.ensureAppIn(engine.getSession().getApplicationBufferSize());
                        continue;
                    }
                    case CLOSED -> {
                        inboundDone = true;
                        deliver();
                        afterHandshakeStep(r.getHandshakeStatus());
                        if (engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP && !engine.isOutboundDone()) wrapHandshake();
                        peerClosed();
                        return;
                    }
                    case OK -> {
                        refuseRenegotiation(r.getHandshakeStatus());
                        afterHandshakeStep(r.getHandshakeStatus());
                        deliver();
                    }
                }
            }
        } catch (SSLException e) {
            fail(e);
        }
    }

    /** Encrypts all of {@code src}, handing the records to the connection. */
    private void wrap(ByteBuffer src) throws SSLException {
        int packet = engine.getSession().getPacketBufferSize();
        LoopBuffers b = shared;
        b.ensureNetOut(packet);
        while (src.hasRemaining()) {
            if (b.netOut.remaining() < packet) flush();
            SSLEngineResult r = engine.wrap(src, b.netOut);
            switch (r.getStatus()) {
                case BUFFER_OVERFLOW -> flush();
                case CLOSED -> throw new IllegalStateException("connection is closed for output");
                case BUFFER_UNDERFLOW, OK -> afterHandshakeStep(r.getHandshakeStatus());
            }
            if (engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP) wrapHandshake();
        }
        flush();
    }

    /** Produces what the engine has to send on its own (handshake messages, alerts, close_notify) and sends it. */
    private void wrapHandshake() throws SSLException {
        LoopBuffers b = shared;
        b.ensureNetOut(engine.getSession().getPacketBufferSize());
        try {
            while (!engine.isOutboundDone() || engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP) {
                // also after closeOutbound: the close_notify (or an alert) is still to be wrapped
                SSLEngineResult r = engine.wrap(EMPTY, b.netOut);
                if (r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
                    flush();
                    b.ensureNetOut(engine.getSession().getPacketBufferSize());
                    continue;
                }
                afterHandshakeStep(r.getHandshakeStatus());
                HandshakeStatus hs = engine.getHandshakeStatus();
                if (hs == HandshakeStatus.NEED_TASK) {
                    runTasks();
                    hs = engine.getHandshakeStatus();
                }
                if (hs != HandshakeStatus.NEED_WRAP || r.getStatus() == SSLEngineResult.Status.CLOSED && r.bytesProduced() == 0) break;
            }
        } finally {
            flush();
        }
    }

    private void afterHandshakeStep(HandshakeStatus hs) {
        if (hs == HandshakeStatus.NEED_TASK) runTasks();
        if (hs == HandshakeStatus.FINISHED && !handshakeDone) {
            handshakeDone = true;
            if (handshakeTimer != null) handshakeTimer.cancel();
            openPending = true;
        }
    }

    /**
     * After the handshake, a record from the peer that starts handshaking again is a TLS 1.2
     * renegotiation (TLS 1.3 has none: its post-handshake messages, tickets and key updates,
     * leave the engine not handshaking or wanting to wrap a reply). Refused before the engine
     * runs any of it: renegotiation reopens the handshake's attack surface for no benefit to a
     * service.
     */
    private void refuseRenegotiation(HandshakeStatus hs) throws SSLHandshakeException {
        if (handshakeDone && !openPending && hs != HandshakeStatus.NOT_HANDSHAKING && hs != HandshakeStatus.FINISHED
                && !"TLSv1.3".equals(engine.getSession().getProtocol())) {
            throw new SSLHandshakeException("renegotiation refused (" + engine.getSession().getProtocol() + ")");
        }
    }

    private void runTasks() {
        for (Runnable task; (task = engine.getDelegatedTask()) != null; ) task.run();
    }

    private void open() {
        opened = true;
        handler.onOpen(this);
        handshake.complete(this);
    }

    /** Hands the decrypted plaintext to the handler. */
    private void deliver() {
        LoopBuffers b = shared;
        int n = b.appIn.position();
        if (n == 0) return;
        b.appIn.clear();
        if (!opened) {
            // Data the peer sent right behind its last handshake message (TLS 1.3 allows it):
            // the handler is told it is open first.
            openPending = false;
            open();
            if (closed || closeRequested) return;
        }
        handler.onRead(this, n == b.appInSegment.byteSize() ? b.appInSegment : b.appInSegment.asSlice(0, n));
    }

    /** The peer's close_notify arrived. */
    private void peerClosed() {
        if (!handshakeDone) {
            fail(new SSLHandshakeException("peer closed the connection during the TLS handshake"));
            return;
        }
        if (openPending) {
            openPending = false;
            open();
        }
        if (!closeRequested && !closed) handler.onEndOfInput(this);
    }

    /** TCP end of stream. */
    private void endOfStream() {
        if (inboundDone) {
            if (closeRequested || outputShutdown) connection.close();
            return;   // the handler heard of close_notify and decides
        }
        String when = handshakeDone ? "" : " during the TLS handshake";
        fail(new SSLException("connection closed by the peer without close_notify" + when
                + ": the data may have been truncated"));
    }

    /** Closes the connection for an error of this layer, sending the alert the engine has ready. */
    private void fail(Throwable t) {
        if (failure == null) failure = t;
        if (closed) return;
        closeRequested = true;
        if (connection.isOpen()) {
            try {
                engine.closeOutbound();
                wrapHandshake();
            } catch (SSLException | RuntimeException ignored) {
                // the alert is a courtesy; the connection closes anyway
            }
            connection.close();
        }
    }

    private void handshakeTimedOut() {
        if (handshakeDone || closed) return;
        if (failure == null) {
            failure = new SSLHandshakeException("TLS handshake not finished within "
                    + Duration.ofNanos(tls.handshakeTimeoutNanos()).toMillis() + " ms");
        }
        closeRequested = true;
        connection.abort();
    }

    /**
     * Hands the ciphertext in the loop's buffer to the connection, which sends or copies it
     * before it returns (its documented contract): the buffer is free again for any connection.
     */
    private void flush() {
        LoopBuffers b = shared;
        int n = b.netOut.position();
        if (n == 0) return;
        b.netOut.clear();
        if (connection.isOpen()) connection.write(n == b.netOutSegment.byteSize() ? b.netOutSegment : b.netOutSegment.asSlice(0, n));
    }

    private void checkThread() {
        if (connection == null || !connection.loop().inEventLoop()) {
            throw new IllegalStateException("TlsConnection methods run on its loop thread; use loop().execute(...)");
        }
    }

    @Override
    public String toString() {
        return "TlsConnection[" + connection + (handshakeDone ? ", " + engine.getSession().getProtocol() : ", handshaking") + "]";
    }

    /** The reactor side: turns connection events into engine steps and handler calls. */
    private final class Adapter implements Handler {

        @Override
        public void onOpen(Connection c) {
            connection = c;
            shared = LoopBuffers.current(tls.directBuffers());
            handshakeTimer = c.loop().schedule(tls.handshakeTimeoutNanos(), java.util.concurrent.TimeUnit.NANOSECONDS,
                    TlsConnection.this::handshakeTimedOut);
            try {
                engine.beginHandshake();
            } catch (SSLException e) {
                fail(e);
                return;
            }
            unwrap(EMPTY);   // a client's ClientHello
        }

        @Override
        public void onRead(Connection c, MemorySegment data) {
            received(data);
        }

        @Override
        public void onWritabilityChanged(Connection c, boolean writable) {
            if (opened && !closed) handler.onWritabilityChanged(TlsConnection.this, writable);
        }

        @Override
        public void onEndOfInput(Connection c) {
            endOfStream();
        }

        @Override
        public void onShutdown(Connection c) {
            if (opened) {
                handler.onShutdown(TlsConnection.this);
            } else {
                closeRequested = true;
                c.close();
            }
        }

        @Override
        public void onClose(Connection c, Throwable cause) {
            if (connection == null) connection = c;
            closed = true;
            if (handshakeTimer != null) handshakeTimer.cancel();
            engine.closeOutbound();
            Throwable reported = failure != null ? failure : cause;
            if (!handshake.isDone()) {
                handshake.completeExceptionally(reported != null ? reported
                        : new SSLHandshakeException("connection closed before the TLS handshake finished"));
            }
            handler.onClose(TlsConnection.this, reported);
        }

        @Override
        public String toString() {
            return "Tls" + (tls.isClient() ? "Client" : "Server") + "[" + handler.getClass().getName() + "]";
        }
    }
}
