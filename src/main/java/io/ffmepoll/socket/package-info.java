/**
 * Non-blocking sockets owned through the same bindings as epoll: TCP, UDP and Unix domain.
 * Every socket is a {@link io.ffmepoll.epoll.Descriptor}, so it can be watched by an
 * {@link io.ffmepoll.epoll.Epoll} and closes exactly once.
 */
package io.ffmepoll.socket;
