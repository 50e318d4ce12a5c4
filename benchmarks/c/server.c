/*
 * The C reference server: K threads, each with its own epoll instance and its own
 * SO_REUSEPORT listener (the kernel spreads new connections across them), edge-triggered,
 * non-blocking. Speaks the same echo and HTTP "hello" protocols as the Java servers.
 *
 *   server --proto echo|http --port N [--loops K] [--host 127.0.0.1]
 *
 * Prints "listening <port>" once every listener is bound; SIGTERM ends the process.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF 16384
#define MAX_HEADER 8192
#define MAX_EVENTS 256

static const char RESPONSE[] =
    "HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nHello, World!";
static const char TOO_LARGE[] =
    "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
static const char BAD_REQUEST[] =
    "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

enum { INCOMPLETE = 0, BAD = -1, HEADER_TOO_LARGE = -2 };

/* A connection owns no buffer while idle: reads land in the thread's buffer and only bytes
   that must outlive the event (a short write's remainder, an unfinished request) are copied
   into a buffer of its own, freed once drained. */
struct conn {
    int fd;
    int closing;      /* error response queued: close once it is written */
    unsigned char *in;   /* kept request bytes (HTTP), or NULL */
    size_t in_len;
    unsigned char *out;  /* pending output, or NULL: nothing is read while it is set */
    size_t out_off, out_len;
};

struct worker {
    int listener;
    unsigned char rbuf[BUF];
    unsigned char stage[BUF];
};

static int http_mode;
static int port;
static int loops = 1;
static const char *host = "127.0.0.1";

/* METHOD SP target SP HTTP/1.d CRLF; returns the offset after it or -1. */
static long request_line(const unsigned char *b, long end) {
    long m = 0;
    while (m < end && b[m] >= 'A' && b[m] <= 'Z') m++;
    if (m == 0 || m >= end || b[m] != ' ') return -1;
    long t = m + 1;
    while (t < end && b[t] > ' ' && b[t] < 127) t++;
    if (t == m + 1 || t >= end || b[t] != ' ') return -1;
    long v = t + 1;
    if (v + 10 > end) return -1;
    if (memcmp(b + v, "HTTP/1.", 7) != 0) return -1;
    if (b[v + 7] < '0' || b[v + 7] > '9' || b[v + 8] != '\r' || b[v + 9] != '\n') return -1;
    return v + 10;
}

/* Length of one complete valid request at b, or INCOMPLETE / BAD / HEADER_TOO_LARGE. */
static long parse(const unsigned char *b, long len) {
    long scan = len < MAX_HEADER ? len : MAX_HEADER;
    long block = -1;
    for (long i = 3; i < scan; i++) {
        if (b[i] == '\n' && b[i - 1] == '\r' && b[i - 2] == '\n' && b[i - 3] == '\r') {
            block = i + 1;
            break;
        }
    }
    if (block < 0) return len >= MAX_HEADER ? HEADER_TOO_LARGE : INCOMPLETE;
    long p = request_line(b, block);
    if (p < 0) return BAD;
    while (p < block - 2) {
        long eol = p;
        while (b[eol] != '\r' || b[eol + 1] != '\n') eol++;
        long colon = -1;
        for (long i = p; i < eol; i++) if (b[i] == ':') { colon = i; break; }
        if (colon <= p) return BAD;
        for (long i = p; i < colon; i++) if (b[i] <= ' ' || b[i] >= 127) return BAD;
        long name = colon - p;
        if (name == 14 && strncasecmp((const char *)b + p, "content-length", 14) == 0) {
            long i = colon + 1, digits = 0;
            unsigned long long v = 0;
            while (i < eol && (b[i] == ' ' || b[i] == '\t')) i++;
            while (i < eol && b[i] >= '0' && b[i] <= '9') {
                if (v < (1ULL << 40)) v = v * 10 + (b[i] - '0');
                i++;
                digits++;
            }
            while (i < eol && (b[i] == ' ' || b[i] == '\t')) i++;
            if (digits == 0 || i != eol || v > 0) return BAD;
        } else if (name == 17 && strncasecmp((const char *)b + p, "transfer-encoding", 17) == 0) {
            return BAD;
        }
        p = eol + 2;
    }
    return block;
}

static void conn_close(int ep, struct conn *c) {
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->in);
    free(c->out);
    free(c);
}

/* Sends buf[0, len); a remainder is kept in c->out. 1 when all went, 0 when kept, -1 on error. */
static int send_or_keep(struct conn *c, const unsigned char *buf, size_t len) {
    size_t off = 0;
    while (off < len) {
        ssize_t n = send(c->fd, buf + off, len - off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN) return -1;
            c->out = malloc(BUF);
            if (c->out == NULL) return -1;
            memcpy(c->out, buf + off, len - off);
            c->out_off = 0;
            c->out_len = len - off;
            return 0;
        }
        off += (size_t)n;
    }
    return 1;
}

/* Writes c->out; 1 when drained (and freed), 0 when the socket is full, -1 on error. */
static int flush_out(struct conn *c) {
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) return 0;
            return -1;
        }
        c->out_off += (size_t)n;
    }
    free(c->out);
    c->out = NULL;
    return 1;
}

/* Keeps src[start, end) as the connection's unfinished input. */
static int keep(struct conn *c, unsigned char *src, size_t start, size_t end) {
    if (src == c->in) {
        if (start == end) {
            free(c->in);
            c->in = NULL;
            c->in_len = 0;
        } else if (start > 0) {
            memmove(c->in, c->in + start, end - start);
            c->in_len = end - start;
        }
        return 0;
    }
    if (start < end) {
        c->in = malloc(BUF);
        if (c->in == NULL) return -1;
        memcpy(c->in, src + start, end - start);
        c->in_len = end - start;
    }
    return 0;
}

/* Answers the complete requests in src[0, len), keeps the rest; returns like send_or_keep. */
static int answer(struct worker *w, struct conn *c, unsigned char *src, size_t len) {
    size_t start = 0, staged = 0;
    int r;
    while (!c->closing) {
        if (BUF - staged < sizeof(TOO_LARGE)) {
            r = send_or_keep(c, w->stage, staged);
            staged = 0;
            if (r <= 0) {
                if (keep(c, src, start, len) < 0) return -1;
                return r;
            }
        }
        long n = parse(src + start, (long)(len - start));
        if (n == INCOMPLETE) break;
        if (n > 0) {
            memcpy(w->stage + staged, RESPONSE, sizeof(RESPONSE) - 1);
            staged += sizeof(RESPONSE) - 1;
            start += (size_t)n;
        } else {
            const char *e = n == BAD ? BAD_REQUEST : TOO_LARGE;
            size_t el = n == BAD ? sizeof(BAD_REQUEST) - 1 : sizeof(TOO_LARGE) - 1;
            memcpy(w->stage + staged, e, el);
            staged += el;
            c->closing = 1;
            start = len;
        }
    }
    if (keep(c, src, start, len) < 0) return -1;
    return staged > 0 ? send_or_keep(c, w->stage, staged) : 1;
}

/* Handles readiness for one connection; returns 0 to keep it, -1 to close it. */
static int on_ready(struct worker *w, struct conn *c) {
    int r;
    if (c->out != NULL) {
        r = flush_out(c);
        if (r <= 0) return r;
        if (c->closing) return -1;
        if (http_mode && c->in != NULL) {
            r = answer(w, c, c->in, c->in_len);
            if (r <= 0) return r;
            if (c->closing) return -1;
        }
    }
    /* Edge-triggered: no new edge comes for data already queued, so read until EAGAIN. */
    for (;;) {
        unsigned char *dst = c->in != NULL ? c->in + c->in_len : w->rbuf;
        size_t room = c->in != NULL ? BUF - c->in_len : BUF;
        ssize_t n = recv(c->fd, dst, room, 0);
        if (n == 0) return -1;
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) return 0;
            return -1;
        }
        if (!http_mode) {
            r = send_or_keep(c, dst, (size_t)n);
        } else if (c->in != NULL) {
            c->in_len += (size_t)n;
            r = answer(w, c, c->in, c->in_len);
        } else {
            r = answer(w, c, w->rbuf, (size_t)n);
        }
        if (r <= 0) return r;
        if (c->closing) return -1;
    }
}

static void *loop(void *arg) {
    struct worker *w = arg;
    int lfd = w->listener;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) { perror("epoll_create1"); exit(1); }
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
    if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0) { perror("epoll_ctl"); exit(1); }
    struct epoll_event events[MAX_EVENTS];
    for (;;) {
        int n = epoll_wait(ep, events, MAX_EVENTS, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            perror("epoll_wait");
            exit(1);
        }
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            if (c == NULL) {
                for (;;) {
                    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (fd < 0) {
                        if (errno != EAGAIN && errno != EINTR) perror("accept4");
                        break;
                    }
                    int one = 1;
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    c = calloc(1, sizeof *c);
                    if (c == NULL) { close(fd); continue; }
                    c->fd = fd;
                    struct epoll_event cev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = c };
                    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev) < 0) { close(fd); free(c); }
                }
                continue;
            }
            if (on_ready(w, c) < 0) conn_close(ep, c);
        }
    }
    return NULL;
}

static int open_listener(void) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) { perror("socket"); exit(1); }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) { fprintf(stderr, "bad --host %s\n", host); exit(2); }
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) { perror("bind"); exit(1); }
    if (listen(fd, 4096) < 0) { perror("listen"); exit(1); }
    if (port == 0) {
        socklen_t len = sizeof a;
        getsockname(fd, (struct sockaddr *)&a, &len);
        port = ntohs(a.sin_port);
    }
    return fd;
}

int main(int argc, char **argv) {
    const char *proto = "echo";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--proto") == 0) proto = argv[i + 1];
        else if (strcmp(argv[i], "--port") == 0) port = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--loops") == 0) loops = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--host") == 0) host = argv[i + 1];
        else { fprintf(stderr, "unknown option %s\n", argv[i]); return 2; }
    }
    if (strcmp(proto, "http") == 0) http_mode = 1;
    else if (strcmp(proto, "echo") != 0) { fprintf(stderr, "--proto echo|http, not %s\n", proto); return 2; }
    if (loops < 1 || loops > 64) { fprintf(stderr, "--loops 1..64\n"); return 2; }

    /* Workers must not take SIGTERM: the main thread waits for it and exits the process. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    struct worker *workers = calloc((size_t)loops, sizeof *workers);
    if (workers == NULL) { perror("calloc"); return 1; }
    for (int i = 0; i < loops; i++) workers[i].listener = open_listener();
    for (int i = 0; i < loops; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, loop, &workers[i]) != 0) { perror("pthread_create"); return 1; }
    }
    printf("listening %d\n", port);
    fflush(stdout);
    int sig;
    sigwait(&set, &sig);
    return 0;
}
