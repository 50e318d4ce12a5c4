/* Every header the library binds, in one translation unit so jextract emits one header class.
 * _GNU_SOURCE exposes accept4, recvmmsg/sendmmsg and struct ucred. */
#define _GNU_SOURCE 1
#include <features.h>

/* With _GNU_SOURCE and a GCC-compatible compiler, sys/socket.h declares address parameters as
 * a transparent union (__SOCKADDR_ARG), which the ABI passes exactly like the pointer it wraps
 * but jextract would model as a union passed by value. sys/socket.h falls back to plain
 * `struct sockaddr *` parameters when __GNUC_PREREQ(2, 7) is false, so it is included first
 * with that macro answering 0; every later include finds it already included. */
#pragma push_macro("__GNUC_PREREQ")
#undef __GNUC_PREREQ
#define __GNUC_PREREQ(maj, min) 0
#include <sys/socket.h>
#pragma pop_macro("__GNUC_PREREQ")

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
