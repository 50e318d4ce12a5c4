package io.ffmepoll.reactor;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLong;

/** The echo handler the tests serve: honours watermarks by pausing input. Records the peak queue. */
class Echo implements Handler {
    final AtomicLong maxQueued;

    Echo() {
        this(new AtomicLong());
    }

    Echo(AtomicLong maxQueued) {
        this.maxQueued = maxQueued;
    }

    @Override
    public void onRead(Connection c, MemorySegment data) {
        boolean writable = c.write(data);
        maxQueued.accumulateAndGet(c.queuedBytes(), Math::max);
        if (!writable) c.pauseReading();
    }

    @Override
    public void onWritabilityChanged(Connection c, boolean writable) {
        if (writable) c.resumeReading();
    }
}
