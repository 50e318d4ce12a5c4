/**
 * Linux epoll for JDK 22+ through the Foreign Function &amp; Memory API: no JNI, no native
 * artifact.
 * <p>Layers, each using only those below it: {@link io.ffmepoll.epoll} (descriptors, epoll,
 * eventfd, timerfd, errno), {@link io.ffmepoll.socket}, then beside each other {@link io.ffmepoll.reactor} (one loop per thread)
 * and {@link io.ffmepoll.shared} (workers sharing one epoll). The
 * jextract bindings and the downcall handles built from them stay internal.
 */
module io.ffmepoll {
    requires jdk.jfr;

    exports io.ffmepoll.epoll;
    exports io.ffmepoll.socket;
    exports io.ffmepoll.reactor;
    exports io.ffmepoll.shared;
}
