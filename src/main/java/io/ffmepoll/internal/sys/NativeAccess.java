package io.ffmepoll.internal.sys;

import java.lang.foreign.MemorySegment;

/**
 * Turns "native access denied" into one sentence naming the flag that grants it.
 * <p>Every call the library makes is a restricted FFM operation. A JVM started with
 * {@code --illegal-native-access=deny} (or a later JDK where that is the default) refuses them
 * to a module not named by {@code --enable-native-access}, and the first refusal happens inside
 * the generated bindings' static initializer, where it surfaces as a bare
 * {@link ExceptionInInitializerError}. So each public class a program can touch first calls
 * {@link #check()} from its own static initializer, before anything reaches the bindings.
 * <p>The same gate first refuses an architecture the library has no bindings for
 * ({@link Arch#current()}), before anything reaches the JDK's linker, which itself chooses its
 * calling convention by {@code os.arch}.
 */
public final class NativeAccess {

    /** Set once a check passed; a racing second check only repeats the probe. */
    private static boolean granted;

    private NativeAccess() {}

    /**
     * Returns if the library has bindings for this architecture and this module may call
     * restricted methods; otherwise throws.
     * <p>An {@link Error}, not the JDK's {@link IllegalCallerException}: thrown from a static
     * initializer, an exception would be wrapped in {@link ExceptionInInitializerError} again,
     * while an error reaches the caller as it is. Thread-safe.
     * @throws UnsatisfiedLinkError naming {@code os.arch} where the library has no bindings for it
     * @throws IllegalAccessError naming {@code --enable-native-access=io.ffmepoll} (module
     *         path) or {@code --enable-native-access=ALL-UNNAMED} (class path), with the JDK's
     *         {@link IllegalCallerException} as its cause
     */
    public static void check() {
        Arch.current();
        Module module = NativeAccess.class.getModule();
        if (granted || module.isNativeAccessEnabled()) return;
        try {
            // Any restricted method: allowed with a warning, or refused, as the JVM decides.
            MemorySegment.NULL.reinterpret(0);
        } catch (IllegalCallerException e) {
            String flag = "--enable-native-access=" + (module.isNamed() ? module.getName() : "ALL-UNNAMED");
            IllegalAccessError error = new IllegalAccessError("ffm-epoll calls the operating system through the "
                    + "FFM API and this JVM denies it native access: add " + flag + " to the java command ("
                    + (module.isNamed() ? "the library is on the module path" : "the library is on the class path")
                    + ")");
            error.initCause(e);
            throw error;
        }
        granted = true;
    }

    /**
     * Finds the caller of a restricted library method: call {@code CALLERS.getCallerClass()}
     * directly in the public method, so the frame it names is the application's. Reflection
     * and method-handle frames are skipped by the walker, so a reflective call names its real
     * caller.
     */
    public static final StackWalker CALLERS = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);

    /**
     * The library's restricted methods follow the JDK's rule for its own: the calling module
     * must have native access enabled ({@code --enable-native-access}, or
     * {@code Enable-Native-Access: ALL-UNNAMED} in an executable jar's manifest). The JDK's
     * internal check cannot be called for another module, so this reads the public
     * {@link Module#isNativeAccessEnabled()} of the caller's module and refuses when it is
     * false; where the JVM would only warn (its transitional default), this refuses, since a
     * library cannot issue the JVM's warning on another module's behalf. Thread-safe.
     * @param caller the class that called the restricted method
     * @param method the method's name, for the message, as {@code "ReceivedDescriptor.adopt"}
     * @throws IllegalCallerException naming the flag that would allow the call
     */
    public static void checkCaller(Class<?> caller, String method) {
        Module module = caller.getModule();
        if (module.isNativeAccessEnabled()) return;
        String flag = "--enable-native-access=" + (module.isNamed() ? module.getName() : "ALL-UNNAMED");
        throw new IllegalCallerException(method + " is restricted: it can break the ownership of descriptors or"
                + " memory the JVM relies on, so the calling module (" + module + ") needs native access: add "
                + flag + " to the java command");
    }
}
