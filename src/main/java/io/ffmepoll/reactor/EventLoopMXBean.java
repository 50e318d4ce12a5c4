package io.ffmepoll.reactor;

/**
 * One event loop's {@link LoopCounters} as a JMX MXBean, registered with the platform
 * MBeanServer under {@code io.ffmepoll:type=EventLoop,reactor=N,loop=I} while the loop runs
 * ({@code N} numbers the reactors of the JVM from 0 in creation order, {@code I} is
 * {@link EventLoop#index()}): visible in {@code jconsole} and {@code jcmd}-started JMX agents,
 * and readable from code. Each attribute is read from {@link EventLoop#counters()} when asked,
 * so it is as fresh as that call; every method may be called from any thread.
 * <p>Registered when the reactor is built and unregistered when its loop terminates, unless
 * {@link Reactor.Builder#jmx(boolean) jmx(false)}; not at all in a runtime without the
 * {@code java.management} module (the library works without it; on the module path, add it
 * with {@code --add-modules java.management} or a {@code requires} of your own).
 * {@snippet :
 * MBeanServer server = ManagementFactory.getPlatformMBeanServer();
 * for (ObjectName name : server.queryNames(new ObjectName("io.ffmepoll:type=EventLoop,*"), null)) {
 *     EventLoopMXBean loop = JMX.newMXBeanProxy(server, name, EventLoopMXBean.class);
 *     System.out.printf("%s: %d connections, busy %.1f%%%n", name, loop.getConnections(), loop.getBusyFraction() * 100);
 * }
 * }
 * The attributes are those of {@link LoopCounters}, where each is described.
 */
public interface EventLoopMXBean {

    /** The loop's thread name. */
    String getThreadName();

    /** @see LoopCounters#loop() */
    int getLoop();

    /** @see LoopCounters#waits() */
    long getWaits();

    /** @see LoopCounters#events() */
    long getEvents();

    /** @see LoopCounters#eventsPerWait() */
    double getEventsPerWait();

    /** @see LoopCounters#epollCtls() */
    long getEpollCtls();

    /** @see LoopCounters#wakeupsSent() */
    long getWakeupsSent();

    /** @see LoopCounters#wakeupsReceived() */
    long getWakeupsReceived();

    /** @see LoopCounters#tasks() */
    long getTasks();

    /** @see LoopCounters#timersFired() */
    long getTimersFired();

    /** @see LoopCounters#accepted() */
    long getAccepted();

    /** @see LoopCounters#connections() */
    long getConnections();

    /** @see LoopCounters#bytesRead() */
    long getBytesRead();

    /** @see LoopCounters#bytesWritten() */
    long getBytesWritten();

    /** @see LoopCounters#budgetYields() */
    long getBudgetYields();

    /** @see LoopCounters#acceptErrors() */
    long getAcceptErrors();

    /** @see LoopCounters#handlerFailures() */
    long getHandlerFailures();

    /** @see LoopCounters#waitNanos() */
    long getWaitNanos();

    /** @see LoopCounters#workNanos() */
    long getWorkNanos();

    /** @see LoopCounters#busyFraction() */
    double getBusyFraction();

    /** @see LoopCounters#eventCapacity() */
    int getEventCapacity();
}
