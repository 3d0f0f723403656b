/* A libuv echo server as libuv users write a fast one: uv_try_write first, uv_write of a copy
 * only for what the socket did not take. TCP_NODELAY. Usage: libuv_echo PORT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

enum { READ_SIZE = 64 * 1024 };
static char scratch[READ_SIZE];
static uv_loop_t* loop;

typedef struct {
  uv_write_t req;
  uv_buf_t buf;
} write_req;

static void on_close(uv_handle_t* handle) { free(handle); }

static void alloc_buffer(uv_handle_t* handle, size_t size, uv_buf_t* buf) {
  (void)handle;
  (void)size;
  *buf = uv_buf_init(scratch, sizeof scratch); /* copied before the next read if not sent */
}

static void on_written(uv_write_t* req, int status) {
  write_req* w = (write_req*)req;
  uv_handle_t* client = (uv_handle_t*)req->handle;
  free(w->buf.base);
  free(w);
  if (status < 0 && !uv_is_closing(client)) uv_close(client, on_close);
}

static void on_read(uv_stream_t* client, ssize_t nread, const uv_buf_t* buf) {
  if (nread < 0) {
    if (!uv_is_closing((uv_handle_t*)client)) uv_close((uv_handle_t*)client, on_close);
    return;
  }
  if (nread == 0) return;
  uv_buf_t out = uv_buf_init(buf->base, (unsigned)nread);
  int sent = uv_stream_get_write_queue_size(client) ? 0 : uv_try_write(client, &out, 1);
  if (sent < 0) sent = 0; /* UV_EAGAIN: queue it all */
  if (sent < nread) {
    write_req* w = malloc(sizeof *w);
    w->buf = uv_buf_init(malloc((size_t)(nread - sent)), (unsigned)(nread - sent));
    memcpy(w->buf.base, buf->base + sent, (size_t)(nread - sent));
    uv_write(&w->req, client, &w->buf, 1, on_written);
  }
}

static void on_connection(uv_stream_t* server, int status) {
  if (status < 0) return;
  uv_tcp_t* client = malloc(sizeof *client);
  uv_tcp_init(loop, client);
  if (uv_accept(server, (uv_stream_t*)client) == 0) {
    uv_tcp_nodelay(client, 1);
    uv_read_start((uv_stream_t*)client, alloc_buffer, on_read);
  } else {
    uv_close((uv_handle_t*)client, on_close);
  }
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: libuv_echo PORT\n");
    return 2;
  }
  loop = uv_default_loop();
  uv_tcp_t server;
  uv_tcp_init(loop, &server);
  struct sockaddr_in addr;
  uv_ip4_addr("127.0.0.1", atoi(argv[1]), &addr);
  uv_tcp_bind(&server, (const struct sockaddr*)&addr, 0);
  int r = uv_listen((uv_stream_t*)&server, SOMAXCONN, on_connection);
  if (r) {
    fprintf(stderr, "listen: %s\n", uv_strerror(r));
    return 1;
  }
  return uv_run(loop, UV_RUN_DEFAULT);
}
