/**
 * Linux epoll for JDK 22+ through the Foreign Function &amp; Memory API: no JNI, no native
 * artifact.
 * <p>Layers, each using only those below it: {@link io.ffmepoll.epoll} (descriptors, epoll,
 * eventfd, timerfd, errno), {@link io.ffmepoll.socket}, then beside each other
 * {@link io.ffmepoll.reactor} (one loop per thread; above it {@link io.ffmepoll.codec}, framing,
 * and {@link io.ffmepoll.tls}, TLS with the JDK's SSLEngine), {@link io.ffmepoll.shared}
 * (workers sharing one epoll) and {@link io.ffmepoll.blocking} (blocking sockets for virtual
 * threads). The jextract bindings and the downcall handles built from them stay internal.
 */
module io.ffmepoll {
    // Optional: the reactor records its SlowHandler event only where the runtime has JFR.
    requires static jdk.jfr;
    // Optional: the loops' JMX beans are registered only where the module is present.
    requires static java.management;

    exports io.ffmepoll.epoll;
    exports io.ffmepoll.socket;
    exports io.ffmepoll.reactor;
    exports io.ffmepoll.shared;
    exports io.ffmepoll.codec;
    exports io.ffmepoll.tls;
    exports io.ffmepoll.blocking;
}
