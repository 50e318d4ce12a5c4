package io.ffmepoll.tls;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A test handler that echoes (when asked to), with backpressure, and records what happened:
 * the ALPN value at open, what it received, the cause it was closed with.
 */
class Recorder implements TlsHandler {
    final boolean echo;
    final CompletableFuture<String> opened = new CompletableFuture<>();
    final CompletableFuture<Throwable> closed = new CompletableFuture<>();
    final CompletableFuture<Void> endOfInput = new CompletableFuture<>();
    final ByteArrayOutputStream received = new ByteArrayOutputStream();
    final AtomicLong maxQueued = new AtomicLong();
    volatile int unwritable;

    Recorder(boolean echo) {
        this.echo = echo;
    }

    @Override
    public void onOpen(TlsConnection c) {
        String alpn = c.applicationProtocol();
        opened.complete(alpn == null ? "(null)" : alpn);
    }

    @Override
    public void onRead(TlsConnection c, MemorySegment data) {
        if (echo) {
            if (!c.write(data)) c.pauseReading();
            maxQueued.accumulateAndGet(c.queuedBytes(), Math::max);
        } else {
            synchronized (received) {
                received.writeBytes(data.toArray(ValueLayout.JAVA_BYTE));
            }
        }
    }

    @Override
    public void onWritabilityChanged(TlsConnection c, boolean writable) {
        if (writable) {
            c.resumeReading();
        } else {
            unwritable++;
        }
    }

    @Override
    public void onEndOfInput(TlsConnection c) {
        endOfInput.complete(null);
        c.close();
    }

    @Override
    public void onClose(TlsConnection c, Throwable cause) {
        opened.completeExceptionally(cause != null ? cause : new IllegalStateException("closed before open"));
        closed.complete(cause);
    }

    byte[] bytes() {
        synchronized (received) {
            return received.toByteArray();
        }
    }
}
