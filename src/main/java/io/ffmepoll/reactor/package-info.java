/**
 * An edge-triggered reactor over {@link io.ffmepoll.epoll} and {@link io.ffmepoll.socket}:
 * event loops, connections, timers and backpressure.
 */
package io.ffmepoll.reactor;
