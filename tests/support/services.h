// Throwaway database servers from the Debian packages (postgresql, redis-server) for the tests
// of postgres:// and redis:// targets: each on a free loopback port, with its files in a
// temporary directory of its own under /tmp. The destructor stops the server and removes its
// files, also when the test fails. PostgreSQL refuses to run as root: when the test runs as
// root, its programs run as `nobody`, which owns the directory.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "tests/support/seltool_process.h"

namespace seltool::testing {

// Why the servers of this kind cannot run here (not installed, no unprivileged user to run
// PostgreSQL as); nullopt when they can. For GTEST_SKIP().
std::optional<std::string> postgres_unavailable();
std::optional<std::string> redis_unavailable();

class PostgresServer {
 public:
  struct Options {
    std::string user = "app";         // the superuser initdb creates
    std::string password = "s3cret";  // its password (scram-sha-256 on every connection)
    // Started as a standby without hot standby: it refuses connections ("the database system
    // is not accepting connections") until promote().
    bool standby = false;
  };

  // initdb, then starts the server; returns once it is ready (a standby: once it runs).
  explicit PostgresServer(Options options);
  PostgresServer() : PostgresServer(Options{}) {}
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  int port() const { return port_; }
  // postgres://USER:PASSWORD@127.0.0.1:PORT/postgres with `password` ("": none in the URL).
  std::string url(const std::string& password) const;
  const std::string& password() const { return options_.password; }
  // Ends a standby's recovery: it accepts connections from then on.
  void promote();
  // Stops the server (fast shutdown); its files stay until the destructor.
  void stop();

 private:
  void start();
  void run_as_owner(const std::string& program, const std::vector<std::string>& args) const;

  Options options_;
  std::string bin_;  // /usr/lib/postgresql/<version>/bin
  std::string dir_;  // the temporary directory: data/, the socket, the log
  int port_ = 0;
  std::unique_ptr<SeltoolProcess> server_;
};

class RedisServer {
 public:
  // Starts redis-server (no persistence) with `password` ("": none); returns once it listens.
  explicit RedisServer(const std::string& password = "");
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  // redis://[:PASSWORD@]127.0.0.1:PORT
  std::string url(const std::string& password = "") const;
  void stop();

 private:
  std::string dir_;
  int port_ = 0;
  std::unique_ptr<SeltoolProcess> server_;
};

}  // namespace seltool::testing
