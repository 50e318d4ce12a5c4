package io.ffmepoll.reactor;

/**
 * One event loop's {@link LoopCounters} as a JMX MXBean, registered with the platform
 * MBeanServer under {@code io.ffmepoll:type=EventLoop,reactor=N,loop=I} while the loop runs
 * ({@code N} numbers the reactors of the JVM from 0 in creation order, {@code I} is
 * {@link EventLoop#index()}): visible in {@code jconsole} and {@code jcmd}-started JMX agents,
 * and readable from code. Each attribute is read from {@link EventLoop#counters()} when asked,
 * so it is as fresh as that call; every method may be called from any thread.
 * <p>Registered when the reactor is built and unregistered when its loop terminates, if
 * {@link Reactor.Builder#jmx(boolean) jmx(true)}, {@code -Dio.ffmepoll.jmx=true}, or, by
 * default, when the JVM already has an MBeanServer (a JMX agent, a metrics library); not at all
 * in a runtime without the
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

    /**
     * The name of the loop's thread, as set by {@link Reactor.Builder#threadName(String)}.
     * @return the thread name, {@code ffm-epoll-loop-0} and so on by default
     */
    String getThreadName();

    /**
     * The loop's index in its reactor, the {@code loop=} key of the object name.
     * @return {@link EventLoop#index()}, from 0
     */
    int getLoop();

    /**
     * How many times the loop has called {@code epoll_wait}.
     * @return the number of waits since the loop started
     */
    long getWaits();

    /**
     * How many readiness events those waits returned in total.
     * @return the number of events since the loop started
     */
    long getEvents();

    /**
     * The mean number of events one wait returned: near 1 on a lightly loaded loop, higher
     * when many connections become ready together.
     * @return events divided by waits, 0 before the first wait
     */
    double getEventsPerWait();

    /**
     * How many {@code epoll_ctl} calls the loop has made: one per registration and one per
     * deregistration of a still-open descriptor, never one per read or write.
     * @return the number of {@code epoll_ctl} calls since the loop started
     */
    long getEpollCtls();

    /**
     * How many times other threads wrote the loop's eventfd to wake it (at most once per sleep).
     * @return the number of wake-ups sent since the loop started
     */
    long getWakeupsSent();

    /**
     * How many wake-ups the loop has read back from its eventfd; equal to
     * {@link #getWakeupsSent()} once the loop has caught up.
     * @return the eventfd counts read, summed, since the loop started
     */
    long getWakeupsReceived();

    /**
     * How many tasks submitted through {@link EventLoop#execute} the loop has run.
     * @return the number of tasks run since the loop started
     */
    long getTasks();

    /**
     * How many scheduled timeouts have fired on the loop.
     * @return the number of timers run since the loop started
     */
    long getTimersFired();

    /**
     * How many connections the loop has taken on, accepted or registered.
     * @return the number of connections since the loop started
     */
    long getAccepted();

    /**
     * How many connections the loop has open now; the only attribute that can go down.
     * @return the number of open connections
     */
    long getConnections();

    /**
     * How many bytes the loop has read from its connections.
     * @return the bytes read since the loop started
     */
    long getBytesRead();

    /**
     * How many bytes the loop has written to its connections.
     * @return the bytes written since the loop started
     */
    long getBytesWritten();

    /**
     * How many times a connection used up its read budget and was put on the still-ready list
     * so that other connections get their turn; a high rate means a few busy peers.
     * @return the number of budget yields since the loop started
     */
    long getBudgetYields();

    /**
     * How many accepts failed ({@code EMFILE}, {@code ENFILE}, ...).
     * @return the number of failed accepts since the loop started
     */
    long getAcceptErrors();

    /**
     * How many connections were closed because their handler threw.
     * @return the number of handler failures since the loop started
     */
    long getHandlerFailures();

    /**
     * Time the loop has spent inside {@code epoll_wait}, the wait in progress included.
     * @return nanoseconds waited since the loop started
     */
    long getWaitNanos();

    /**
     * Time the loop has spent outside {@code epoll_wait} since its first wait (start-up is not
     * counted), the work in progress included.
     * @return nanoseconds worked since the first wait
     */
    long getWorkNanos();

    /**
     * The share of time spent working rather than waiting since the first wait.
     * @return work time over wait plus work time, 0 to 1: near 0 for an idle loop, near 1 for
     *         a saturated one
     */
    double getBusyFraction();

    /**
     * The size of the array {@code epoll_wait} fills; it doubles when a wait fills it.
     * @return the number of events one wait can return now
     */
    int getEventCapacity();

    /**
     * How many {@code send}/{@code sendmsg} calls the loop made to write to its connections; a
     * gathering write is one call. With {@link #getBytesWritten()}, how well writes are gathered.
     * @return the write calls since the loop started
     */
    long getWriteCalls();
}
