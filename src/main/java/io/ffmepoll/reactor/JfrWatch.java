package io.ffmepoll.reactor;

import jdk.jfr.FlightRecorder;
import jdk.jfr.FlightRecorderListener;

/**
 * Tells {@link HandlerTimer} when JFR's recorder comes up. Loaded only where the runtime has
 * jdk.jfr ({@link HandlerTimer#JFR}), like {@link SlowHandlerEvent}, but much cheaper: a listener
 * loads a handful of JFR classes, where an event object registers its type with JFR (about 170
 * classes and a third of a second of a cold JVM), which no one needs before a recording starts.
 */
final class JfrWatch implements FlightRecorderListener {

    /** Set once, when the recorder is initialized (a recording started); never cleared. */
    private static volatile boolean recorderUp;

    static {
        // Calls recorderInitialized at once if the recorder is already up.
        FlightRecorder.addListener(new JfrWatch());
    }

    private JfrWatch() {}

    /** Whether a recording may want events; initializes this class, and so the listener. */
    static boolean recorderUp() {
        return recorderUp;
    }

    @Override
    public void recorderInitialized(FlightRecorder recorder) {
        recorderUp = true;
    }
}
