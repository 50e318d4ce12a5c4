package io.ffmepoll.reactor;

import java.util.Optional;

/**
 * Times a loop's handler runs for {@link SlowHandlerEvent}, where the runtime has JFR.
 * <p>The module requires jdk.jfr only statically, so a runtime without it (a {@code jlink} image
 * of java.base and io.ffmepoll) must never load {@link SlowHandlerEvent}: its superclass is
 * missing there. {@link #JFR} is decided once; as a {@code static final} the JIT folds every
 * check, so with JFR the loop runs exactly the event calls it ran before, and without it
 * nothing. One timer, and one event object, per loop: handler runs never nest, and an object per
 * run is only free while escape analysis removes it, which stops once a recording has made the
 * commit path hot. The event object is made on the first run after JFR's recorder came up
 * ({@link JfrWatch}): making one registers the event type with JFR, which costs a cold JVM about
 * as much as all the rest of a reactor's start, for no use before a recording starts. Loop thread
 * only.
 */
final class HandlerTimer {

    /**
     * Whether this module can use jdk.jfr: the module is in the boot layer and read by this
     * module (on the module path, a static dependency is read only if something resolved it,
     * such as {@code --add-modules jdk.jfr} or {@code -XX:StartFlightRecording}).
     */
    static final boolean JFR = jfrReadable();

    /** The loop's event object; null without JFR, and until its recorder is up. */
    private SlowHandlerEvent event;

    HandlerTimer() {
        if (JFR) JfrWatch.recorderUp();   // registers the listener now, not on the first handler run
    }

    private static boolean jfrReadable() {
        Optional<Module> jfr = ModuleLayer.boot().findModule("jdk.jfr");
        return jfr.isPresent() && HandlerTimer.class.getModule().canRead(jfr.get());
    }

    /** Starts timing a handler run. */
    void begin() {
        if (!JFR) return;
        SlowHandlerEvent e = event;
        if (e == null) {
            if (!JfrWatch.recorderUp()) return;
            event = e = new SlowHandlerEvent();
        }
        e.begin();
    }

    /**
     * Ends the run {@link #begin()} started, recording it if JFR wants it (it took longer than
     * the event's threshold, in a recording that enables it).
     * @param loop the loop's index
     * @param what the connection, task or timer that ran
     * @param kind what the loop was doing, as {@code "events"}
     */
    void end(int loop, Object what, String kind) {
        if (!JFR) return;
        SlowHandlerEvent e = event;
        if (e == null) return;   // made only in begin(): this run was not timed
        e.end();
        if (e.shouldCommit()) {
            e.loop = loop;
            e.handler = what instanceof Connection c ? c.handlerName() : what.getClass().getName();
            e.kind = kind;
            e.commit();
        }
    }
}
