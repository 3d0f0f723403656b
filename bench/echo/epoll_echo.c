/* The reference: a minimal hand-written epoll echo server, level-triggered like seltool's
 * epoll backend. One recv() of up to 64 KiB per readiness, sent back at once; what the socket
 * does not take is kept and written on EPOLLOUT. TCP_NODELAY on accepted sockets.
 * Usage: epoll_echo PORT  (listens on 127.0.0.1) */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

enum { READ_SIZE = 64 * 1024, MAX_EVENTS = 1024 };

struct conn {
  int fd;
  char* pending; /* unsent bytes: pending[head, size) */
  size_t head, size, capacity;
};

static int epfd;
static char scratch[READ_SIZE];

static void set_interest(struct conn* c, unsigned events) {
  struct epoll_event ev = {.events = events, .data.ptr = c};
  epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void drop(struct conn* c) {
  close(c->fd); /* also removes it from the epoll set */
  free(c->pending);
  free(c);
}

static void keep(struct conn* c, const char* data, size_t n) {
  if (c->size + n > c->capacity) {
    c->capacity = c->size + n;
    c->pending = realloc(c->pending, c->capacity);
  }
  memcpy(c->pending + c->size, data, n);
  c->size += n;
}

static void on_event(struct conn* c, unsigned events) {
  if (events & (EPOLLOUT | EPOLLERR)) {
    ssize_t n = send(c->fd, c->pending + c->head, c->size - c->head, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN) return drop(c);
    if (n > 0) c->head += (size_t)n;
    if (c->head == c->size) {
      c->head = c->size = 0;
      set_interest(c, EPOLLIN);
    }
    return;
  }
  ssize_t n = recv(c->fd, scratch, sizeof scratch, 0);
  if (n == 0 || (n < 0 && errno != EAGAIN)) return drop(c);
  if (n < 0) return;
  if (c->size > c->head) { /* still writing: queue behind it */
    keep(c, scratch, (size_t)n);
    return;
  }
  ssize_t sent = send(c->fd, scratch, (size_t)n, MSG_NOSIGNAL);
  if (sent < 0 && errno != EAGAIN) return drop(c);
  if (sent < 0) sent = 0;
  if (sent < n) {
    keep(c, scratch + sent, (size_t)(n - sent));
    set_interest(c, EPOLLIN | EPOLLOUT);
  }
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: epoll_echo PORT\n");
    return 2;
  }
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int on = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  struct sockaddr_in addr = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)atoi(argv[1])),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(listener, (struct sockaddr*)&addr, sizeof addr) || listen(listener, SOMAXCONN)) {
    perror("listen");
    return 1;
  }
  epfd = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(epfd, EPOLL_CTL_ADD, listener, &ev);
  struct epoll_event events[MAX_EVENTS];
  for (;;) {
    int n = epoll_wait(epfd, events, MAX_EVENTS, -1);
    for (int i = 0; i < n; ++i) {
      if (events[i].data.ptr) {
        on_event(events[i].data.ptr, events[i].events);
        continue;
      }
      int fd;
      while ((fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        struct conn* c = calloc(1, sizeof *c);
        c->fd = fd;
        struct epoll_event cev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &cev);
      }
    }
  }
}
