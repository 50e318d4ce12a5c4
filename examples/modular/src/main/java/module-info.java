/** The smallest application of ffm-epoll on the module path: it needs java.base and io.ffmepoll only. */
module io.ffmepoll.example.wake {
    requires io.ffmepoll;
}
