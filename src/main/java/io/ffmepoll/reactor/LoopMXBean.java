package io.ffmepoll.reactor;

/**
 * A loop's {@link EventLoopMXBean}: each attribute read from a fresh {@link EventLoop#counters()}.
 * Refers to no {@code java.management} type, so the class loads in a runtime without it.
 */
final class LoopMXBean implements EventLoopMXBean {

    /**
     * Whether {@code java.management} can be used: in the runtime, and read by this module
     * (which {@code requires static} it, so reads it exactly when it was resolved). Decided once,
     * here and not in {@link LoopMBeans}: verifying that class loads JMX exception types.
     */
    static final boolean MANAGEMENT = ModuleLayer.boot().findModule("java.management")
            .map(m -> !LoopMXBean.class.getModule().isNamed() || LoopMXBean.class.getModule().canRead(m))
            .orElse(false);

    private final EventLoop loop;
    private final String threadName;

    LoopMXBean(EventLoop loop, String threadName) {
        this.loop = loop;
        this.threadName = threadName;
    }

    private LoopCounters c() {
        return loop.counters();
    }

    @Override public String getThreadName() { return threadName; }
    @Override public int getLoop() { return loop.index(); }
    @Override public long getWaits() { return c().waits(); }
    @Override public long getEvents() { return c().events(); }
    @Override public double getEventsPerWait() { return c().eventsPerWait(); }
    @Override public long getEpollCtls() { return c().epollCtls(); }
    @Override public long getWakeupsSent() { return c().wakeupsSent(); }
    @Override public long getWakeupsReceived() { return c().wakeupsReceived(); }
    @Override public long getTasks() { return c().tasks(); }
    @Override public long getTimersFired() { return c().timersFired(); }
    @Override public long getAccepted() { return c().accepted(); }
    @Override public long getConnections() { return c().connections(); }
    @Override public long getBytesRead() { return c().bytesRead(); }
    @Override public long getBytesWritten() { return c().bytesWritten(); }
    @Override public long getBudgetYields() { return c().budgetYields(); }
    @Override public long getAcceptErrors() { return c().acceptErrors(); }
    @Override public long getHandlerFailures() { return c().handlerFailures(); }
    @Override public long getWaitNanos() { return c().waitNanos(); }
    @Override public long getWorkNanos() { return c().workNanos(); }
    @Override public double getBusyFraction() { return c().busyFraction(); }
    @Override public int getEventCapacity() { return c().eventCapacity(); }
    @Override public long getWriteCalls() { return c().writeCalls(); }
}
