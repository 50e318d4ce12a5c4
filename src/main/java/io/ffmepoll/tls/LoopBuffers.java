package io.ffmepoll.tls;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * The decryption and encryption buffers that the TLS connections of one loop thread share.
 * Sharing is safe because each is empty again before the call that filled it returns: plaintext
 * is handed to {@link TlsHandler#onRead} and the buffer cleared before the next record, and
 * ciphertext goes to {@code Connection.write}, which sends or copies it before it returns (and
 * before any handler callback it makes). So a connection costs its engine and, only while a
 * record is cut by a read's end, one packet of kept input: not 100 KB of buffers each.
 * <p>Thread-confined: one instance per loop thread and buffer kind.
 */
final class LoopBuffers {

    private static final ThreadLocal<LoopBuffers[]> PER_THREAD = ThreadLocal.withInitial(() -> new LoopBuffers[2]);

    private final boolean direct;
    ByteBuffer appIn;
    MemorySegment appInSegment;
    ByteBuffer netOut;
    MemorySegment netOutSegment;

    private LoopBuffers(boolean direct) {
        this.direct = direct;
    }

    /** This thread's buffers of the kind asked for. Call on the loop thread. */
    static LoopBuffers current(boolean direct) {
        LoopBuffers[] both = PER_THREAD.get();
        int i = direct ? 0 : 1;
        if (both[i] == null) both[i] = new LoopBuffers(direct);
        return both[i];
    }

    /** Makes the plaintext buffer at least {@code size} bytes. */
    void ensureAppIn(int size) {
        if (appIn == null || appIn.capacity() < size) {
            appIn = allocate(size, direct);
            appInSegment = MemorySegment.ofBuffer(appIn);
        }
    }

    /**
     * Makes the ciphertext buffer hold at least four records of {@code packetSize}: one
     * {@code Connection.write}, one send, carries several records of a large write.
     */
    void ensureNetOut(int packetSize) {
        if (netOut == null || netOut.capacity() < 4 * packetSize) {
            netOut = allocate(4 * packetSize, direct);
            netOutSegment = MemorySegment.ofBuffer(netOut);
        }
    }

    static ByteBuffer allocate(int size, boolean direct) {
        return direct ? ByteBuffer.allocateDirect(size) : ByteBuffer.allocate(size);
    }
}
