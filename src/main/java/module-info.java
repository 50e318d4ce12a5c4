/**
 * Linux epoll for JDK 22+ through the Foreign Function &amp; Memory API: no JNI, no native
 * artifact.
 * <p>Layers, each using only those below it: {@link io.ffmepoll.epoll} (descriptors, epoll,
 * eventfd, timerfd, errno), {@link io.ffmepoll.socket}, {@link io.ffmepoll.reactor}. The
 * jextract bindings and the downcall handles built from them stay internal.
 */
module io.ffmepoll {
    // Optional: the reactor records its SlowHandler event only where the runtime has JFR.
    requires static jdk.jfr;

    exports io.ffmepoll.epoll;
    exports io.ffmepoll.socket;
    exports io.ffmepoll.reactor;
}
