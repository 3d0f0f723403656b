#include "tests/support/services.h"

#include <glob.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace seltool::testing {
namespace {

constexpr uid_t kNobody = 65534;
constexpr auto kStartLimit = 60s;  // initdb and a start, on a loaded CI machine

// The directory of PostgreSQL's programs ("" when it is not installed): the newest version's.
std::string postgres_bin() {
  glob_t found{};
  std::string bin;
  if (::glob("/usr/lib/postgresql/*/bin/postgres", 0, nullptr, &found) == 0) {
    bin = std::filesystem::path(found.gl_pathv[found.gl_pathc - 1]).parent_path();
  }
  ::globfree(&found);
  return bin;
}

// Whether this process may switch to `nobody` (root, outside a user namespace that maps only
// root, as a sandbox may be).
bool can_become_nobody() {
  if (::geteuid() != 0) return false;
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(::setgid(kNobody) == 0 && ::setuid(kNobody) == 0 ? 0 : 1);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// Makes `path` nobody's when the test runs as root (the servers' programs run as nobody).
void give_to_owner(const std::string& path) {
  if (::geteuid() != 0) return;
  EXPECT_EQ(::chown(path.c_str(), kNobody, kNobody), 0) << path;
}

// A fresh directory under /tmp, the servers' own.
std::string make_dir(const char* name) {
  std::string path = std::string("/tmp/seltool-") + name + "-XXXXXX";
  EXPECT_NE(::mkdtemp(path.data()), nullptr) << path;
  give_to_owner(path);
  return path;
}

// The spawn options of a server program: as `nobody` when root; `cwd` its directory.
SpawnOptions owner_options(const std::string& dir) {
  SpawnOptions options;
  if (::geteuid() == 0) options.user = kNobody;
  options.cwd = dir;
  options.env = {{"LC_ALL", "C"}, {"PGPASSWORD", ""}, {"PGDATA", ""}};
  return options;
}

std::string read_file(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// Waits until a TCP connect to 127.0.0.1:port succeeds (the server listens).
void wait_for_listener(int port, const std::string& log) {
  const auto deadline = Clock::now() + kStartLimit;
  while (Clock::now() < deadline) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool connected =
        ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    if (connected) return;
    std::this_thread::sleep_for(20ms);
  }
  ADD_FAILURE() << "no server on port " << port << " after " << kStartLimit.count()
                << "s; its log:\n"
                << read_file(log);
}

}  // namespace

std::optional<std::string> postgres_unavailable() {
  if (postgres_bin().empty()) {
    return "PostgreSQL is not installed (Debian package postgresql; scripts/setup.sh installs it)";
  }
  if (::geteuid() == 0 && !can_become_nobody()) {
    return "PostgreSQL refuses to run as root, and this root cannot become nobody (a user "
           "namespace that maps only root)";
  }
  return std::nullopt;
}

std::optional<std::string> redis_unavailable() {
  if (::access("/usr/bin/redis-server", X_OK) != 0) {
    return "redis-server is not installed (Debian package redis-server; scripts/setup.sh "
           "installs it)";
  }
  return std::nullopt;
}

PostgresServer::PostgresServer(Options options)
    : options_(std::move(options)), bin_(postgres_bin()), dir_(make_dir("postgres")) {
  { std::ofstream(dir_ + "/password") << options_.password << '\n'; }
  give_to_owner(dir_ + "/password");
  run_as_owner(bin_ + "/initdb", {"-D", dir_ + "/data", "-U", options_.user, "--auth=scram-sha-256",
                                  "--pwfile=" + dir_ + "/password", "-N"});
  if (options_.standby) {
    std::ofstream(dir_ + "/data/standby.signal").flush();
    give_to_owner(dir_ + "/data/standby.signal");
  }
  port_ = free_tcp_port();
  start();
}

PostgresServer::~PostgresServer() {
  stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

void PostgresServer::run_as_owner(const std::string& program,
                                  const std::vector<std::string>& args) const {
  const Result run = run_program(program, args, owner_options(dir_), kStartLimit);
  ASSERT_EQ(run.exit_code, 0) << program << ": " << run.out << run.err;
}

void PostgresServer::start() {
  // Its log goes to a file: a pipe nobody reads would stop the server once full.
  std::vector<std::string> args = {
      "-c",
      "exec \"$0\" \"$@\" >log 2>&1",
      bin_ + "/postgres",
      "-D",
      dir_ + "/data",
      "-p",
      std::to_string(port_),
      "-k",
      dir_,  // its Unix socket: here, not in /var/run/postgresql
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "fsync=off",
      "-c",
      "hot_standby=off",  // a standby refuses every connection until promoted
  };
  server_ = std::make_unique<SeltoolProcess>("/bin/sh", args, owner_options(dir_));
  const auto deadline = Clock::now() + kStartLimit;
  // postmaster.pid's 8th line: "ready" once it accepts connections. A standby never says so:
  // it says "starting", then "standby" once recovery begins (even with hot_standby off, which
  // keeps refusing connections), and its socket is enough.
  while (Clock::now() < deadline && server_->running()) {
    std::istringstream pid_file(read_file(dir_ + "/data/postmaster.pid"));
    std::string line;
    for (int i = 0; i < 8 && std::getline(pid_file, line); ++i) {
    }
    line.erase(line.find_last_not_of(' ') + 1);  // "ready   ": padded to 8 characters
    if (line == "ready" || (options_.standby && (line == "starting" || line == "standby"))) {
      break;
    }
    std::this_thread::sleep_for(20ms);
  }
  if (options_.standby) wait_for_listener(port_, dir_ + "/log");
  ASSERT_LT(Clock::now(), deadline) << "postgres is not ready; its log:\n"
                                    << read_file(dir_ + "/log");
  ASSERT_TRUE(server_->running()) << "postgres exited; its log:\n" << read_file(dir_ + "/log");
}

std::string PostgresServer::url(const std::string& password) const {
  return "postgres://" + options_.user + (password.empty() ? "" : ":" + password) +
         "@127.0.0.1:" + std::to_string(port_) + "/postgres";
}

void PostgresServer::promote() {
  // pg_ctl refuses until the standby has entered recovery: tried again until it is.
  const auto deadline = Clock::now() + kStartLimit;
  Result run;
  while (Clock::now() < deadline) {
    run = run_program(bin_ + "/pg_ctl", {"promote", "-D", dir_ + "/data"}, owner_options(dir_),
                      kStartLimit);
    if (run.exit_code == 0) return;
    std::this_thread::sleep_for(100ms);
  }
  ADD_FAILURE() << "pg_ctl promote: " << run.out << run.err;
}

void PostgresServer::stop() {
  if (!server_) return;
  server_->signal(SIGINT);  // fast shutdown: sessions end, the data stays consistent
  EXPECT_TRUE(server_->wait_exit(kStartLimit).has_value()) << "postgres did not stop";
  server_.reset();  // kills it, if it did not stop
}

RedisServer::RedisServer(const std::string& password)
    : dir_(make_dir("redis")), port_(free_tcp_port()) {
  std::vector<std::string> args = {
      "--port",    std::to_string(port_), "--bind", "127.0.0.1", "--save",
      "",          "--appendonly",        "no",     "--dir",     dir_,
      "--logfile", dir_ + "/log"};
  if (!password.empty()) args.insert(args.end(), {"--requirepass", password});
  server_ = std::make_unique<SeltoolProcess>("/usr/bin/redis-server", args, owner_options(dir_));
  wait_for_listener(port_, dir_ + "/log");
}

RedisServer::~RedisServer() {
  stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string RedisServer::url(const std::string& password) const {
  return "redis://" + (password.empty() ? "" : ":" + password + "@") +
         "127.0.0.1:" + std::to_string(port_);
}

void RedisServer::stop() {
  if (!server_) return;
  server_->signal(SIGTERM);
  EXPECT_TRUE(server_->wait_exit(kStartLimit).has_value()) << "redis-server did not stop";
  server_.reset();
}

}  // namespace seltool::testing
