// The echo server that ends Python's `selectors` documentation, written with seltool.
// Like the original it keeps each socket's callback in its key's data and trusts that
// recv() and send() do not block; `seltool echo` is the robust version.
// Usage: echo_example [PORT]   (default 1234, as in the Python example)
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>

#include "lib/selectors.h"
#include "lib/unique_fd.h"

using seltool::UniqueFd;
using Callback = std::function<void(seltool::Events)>;
using Socket = std::shared_ptr<UniqueFd>;  // shared with the callback that serves it

auto sel = seltool::make_default_selector();

void read(const Socket& conn, seltool::Events) {
  char data[1000];
  const ssize_t n = recv(conn->get(), data, sizeof data, 0);  // Should be ready
  if (n > 0) {
    std::printf("echoing %zd bytes to fd %d\n", n, conn->get());
    send(conn->get(), data, size_t(n), MSG_NOSIGNAL);  // Hope it won't block
  } else {
    std::printf("closing fd %d\n", conn->get());
    sel->unregister(*conn);  // its callback, which owns `conn`, goes at the next select()
  }
}

void accept(const Socket& sock, seltool::Events) {
  auto conn = std::make_shared<UniqueFd>(accept4(sock->get(), nullptr, nullptr, SOCK_NONBLOCK));
  if (!*conn) return;  // Should be ready, but another process may have taken it
  std::printf("accepted fd %d\n", conn->get());
  sel->register_file(*conn, seltool::EVENT_READ, Callback([conn](auto mask) { read(conn, mask); }));
}

int main(int argc, char** argv) {
  auto sock = std::make_shared<UniqueFd>(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(argc > 1 ? std::atoi(argv[1]) : 1234);
  if (bind(sock->get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(sock->get(), 100) != 0) {
    std::perror("echo_example: bind/listen");
    return 1;
  }
  sel->register_file(*sock, seltool::EVENT_READ,
                     Callback([sock](auto mask) { accept(sock, mask); }));
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::printf("listening on 127.0.0.1:%d\n", ntohs(address.sin_port));

  while (true) {
    for (auto [key, mask] : sel->select()) {
      const auto& callback = std::any_cast<const Callback&>(key.data);
      callback(mask);
    }
  }
}
