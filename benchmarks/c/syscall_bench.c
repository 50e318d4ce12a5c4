/*
 * The same loops as the JMH suite, written in C, so the JMH numbers have a floor to be read
 * against: ns per operation of epoll_wait(0) with 0/1/64 ready pipes out of 64, epoll_ctl MOD,
 * an eventfd wake round trip, a failing (EAGAIN) eventfd read against a succeeding write, and
 * epoll_wait(0) / poll(0) with 0..10000 idle eventfds and one ready.
 *
 *   syscall_bench [iterations-scale]   (default 1; each loop runs about 0.2-0.5 s)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static void die(const char *what) {
    perror(what);
    exit(1);
}

static long scale = 1;
static volatile uint64_t sink;

static void report(const char *name, double start, long iterations) {
    printf("c  %-44s %10.1f ns/op\n", name, (now_ns() - start) / iterations);
    fflush(stdout);
}

static void wait_ready(int ready) {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    int fds[64][2];
    for (int i = 0; i < 64; i++) {
        if (pipe2(fds[i], O_NONBLOCK | O_CLOEXEC) < 0) die("pipe2");
        struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint64_t)i };
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i][0], &ev) < 0) die("epoll_ctl");
        if (i < ready && write(fds[i][1], "x", 1) != 1) die("write");
    }
    struct epoll_event events[64];
    long n = 300000 * scale;
    double t = now_ns();
    for (long i = 0; i < n; i++) {
        int r = epoll_wait(ep, events, 64, 0);
        uint64_t sum = 0;
        for (int j = 0; j < r; j++) sum += events[j].data.u64 + events[j].events;
        sink += sum;
    }
    char name[64];
    snprintf(name, sizeof name, "epoll_wait(0) ready=%d of 64 pipes", ready);
    report(name, t, n);
    for (int i = 0; i < 64; i++) { close(fds[i][0]); close(fds[i][1]); }
    close(ep);
}

static void modify(void) {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 1 };
    epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev);
    long n = 300000 * scale;
    double t = now_ns();
    for (long i = 0; i < n; i++) {
        ev.events = (i & 1) ? EPOLLIN : (EPOLLIN | EPOLLOUT);
        if (epoll_ctl(ep, EPOLL_CTL_MOD, efd, &ev) < 0) die("epoll_ctl MOD");
    }
    report("epoll_ctl MOD (IN <-> IN|OUT)", t, n);
    struct epoll_event events[4];
    t = now_ns();
    for (long i = 0; i < n; i++) {
        ev.events = (i & 1) ? EPOLLIN : (EPOLLIN | EPOLLOUT);
        epoll_ctl(ep, EPOLL_CTL_MOD, efd, &ev);
        sink += epoll_wait(ep, events, 4, 0);
    }
    report("epoll_ctl MOD + epoll_wait(0)", t, n);
    close(efd);
    close(ep);
}

static void wake(void) {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 7 }, events[4];
    epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev);
    long n = 150000 * scale;
    uint64_t one = 1, v;
    double t = now_ns();
    for (long i = 0; i < n; i++) {
        if (write(efd, &one, 8) != 8) die("write eventfd");
        sink += epoll_wait(ep, events, 4, -1);
        if (read(efd, &v, 8) != 8) die("read eventfd");
    }
    report("eventfd write + epoll_wait + read", t, n);
    close(efd);
    close(ep);
}

static void errno_cost(void) {
    int empty = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    int counter = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    long n = 300000 * scale;
    uint64_t v, one = 1;
    double t = now_ns();
    for (long i = 0; i < n; i++) {
        if (read(empty, &v, 8) != -1 || errno != EAGAIN) die("read empty eventfd");
        sink += errno;
    }
    report("eventfd read, fails EAGAIN", t, n);
    t = now_ns();
    for (long i = 0; i < n; i++) {
        if (write(counter, &one, 8) != 8) die("write eventfd");
    }
    report("eventfd write, succeeds", t, n);
    close(empty);
    close(counter);
}

static void idle_scaling(void) {
    static const int sizes[] = {0, 100, 1000, 10000};
    for (unsigned s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int idle = sizes[s];
        int *fds = malloc(sizeof(int) * (idle + 1));
        struct pollfd *pfd = calloc(idle + 1, sizeof *pfd);
        int ep = epoll_create1(EPOLL_CLOEXEC);
        int ok = 1;
        for (int i = 0; i <= idle; i++) {
            fds[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
            if (fds[i] < 0) { ok = 0; idle = i - 1; break; }
            struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint64_t)i };
            epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
            pfd[i].fd = fds[i];
            pfd[i].events = POLLIN;
        }
        if (!ok) {
            printf("c  idle=%d: out of descriptors (ulimit -n)\n", sizes[s]);
            for (int i = 0; i <= idle; i++) close(fds[i]);
            close(ep);
            free(fds);
            free(pfd);
            continue;
        }
        uint64_t one = 1;
        if (write(fds[idle], &one, 8) != 8) die("write");
        struct epoll_event events[16];
        long n = 150000 * scale;
        double t = now_ns();
        for (long i = 0; i < n; i++) sink += epoll_wait(ep, events, 16, 0);
        char name[64];
        snprintf(name, sizeof name, "epoll_wait(0) idle=%d ready=1", idle);
        report(name, t, n);
        long pn = idle >= 10000 ? 700 * scale : idle >= 1000 ? 7000 * scale : 70000 * scale;
        t = now_ns();
        for (long i = 0; i < pn; i++) sink += poll(pfd, idle + 1, 0);
        snprintf(name, sizeof name, "poll(0) idle=%d ready=1", idle);
        report(name, t, pn);
        for (int i = 0; i <= idle; i++) close(fds[i]);
        close(ep);
        free(fds);
        free(pfd);
    }
}

int main(int argc, char **argv) {
    if (argc > 1) scale = atol(argv[1]) > 0 ? atol(argv[1]) : 1;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    wait_ready(0);
    wait_ready(1);
    wait_ready(64);
    modify();
    wake();
    errno_cost();
    idle_scaling();
    return 0;
}
