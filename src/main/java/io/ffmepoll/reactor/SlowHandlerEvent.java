package io.ffmepoll.reactor;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;

/**
 * A JFR event for a handler run that held an event loop longer than the threshold (default
 * 5 ms; change it with the JFR setting {@code io.ffmepoll.SlowHandler#threshold}). While a
 * handler runs, every other connection on its loop waits.
 * {@snippet :
 * // java -XX:StartFlightRecording:settings=profile,filename=rec.jfr ...
 * // jfr print --events io.ffmepoll.SlowHandler rec.jfr
 * }
 */
@Name("io.ffmepoll.SlowHandler")
@Label("Slow Reactor Handler")
@Category({"ffm-epoll", "Reactor"})
@Description("A handler callback that held an event loop longer than the threshold")
@Threshold("5 ms")
@StackTrace(false)
final class SlowHandlerEvent extends jdk.jfr.Event {

    /** The loop's index. */
    @Label("Loop")
    public int loop;

    /** The handler's class name. */
    @Label("Handler")
    public String handler;

    /** What the loop was doing: "events", "ready", "task", "timer". */
    @Label("Kind")
    public String kind;

    /** Creates an event; the loop fills and commits it. */
    SlowHandlerEvent() {}
}
