// A program blocked in select(2) for inspect_waits_test: it waits, without a timeout, for
// fds 3 and 4 to be readable, prints "waiting" before its first wait and "got FD HEX" for every
// chunk it reads, and exits once both have ended.
#include <stdio.h>
#include <sys/select.h>
#include <unistd.h>

int main(void) {
  int fds[2] = {3, 4};
  printf("waiting\n");
  fflush(stdout);
  while (fds[0] >= 0 || fds[1] >= 0) {
    fd_set readable;
    FD_ZERO(&readable);
    for (int i = 0; i < 2; ++i) {
      if (fds[i] >= 0) FD_SET(fds[i], &readable);
    }
    if (select(5, &readable, NULL, NULL, NULL) < 0) return 1;
    for (int i = 0; i < 2; ++i) {
      if (fds[i] < 0 || !FD_ISSET(fds[i], &readable)) continue;
      unsigned char data[4096];
      const ssize_t n = read(fds[i], data, sizeof data);
      if (n <= 0) {
        fds[i] = -1;
        continue;
      }
      printf("got %d ", i + 3);
      for (ssize_t j = 0; j < n; ++j) printf("%02x", data[j]);
      printf("\n");
      fflush(stdout);
    }
  }
  return 0;
}
