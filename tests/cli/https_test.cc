// https:// targets of `seltool wait` against Python's http.server behind ssl
// (tests/cli/https_server.py), with self-signed certificates made here by the openssl program:
// --cacert, -k/--insecure, --cert/--key against a server that requires a client certificate,
// and a certificate that fails verification: named in the attempt's error and retried, so that
// a server that replaces a temporary certificate is waited for (docs/cli.md says why).
#include <signal.h>
#include <unistd.h>

#include <algorithm>

#include "gtest/gtest.h"
#include "tests/support/seltool_process.h"

namespace seltool::testing {
namespace {

constexpr char kOpenssl[] = "/usr/bin/openssl";
constexpr char kPython[] = "/usr/bin/python3";

struct KeyPair {
  std::string cert;
  std::string key;
};

// A self-signed certificate (P-256: made at once) for CN=`name`, and for 127.0.0.1 when
// `server`, as DIR/NAME-cert.pem and DIR/NAME-key.pem.
KeyPair make_certificate(const TempDir& dir, const std::string& name, bool server) {
  const KeyPair pair{dir.file(name + "-cert.pem"), dir.file(name + "-key.pem")};
  std::vector<std::string> args = {
      "req",    "-x509",   "-newkey",    "ec",   "-pkeyopt", "ec_paramgen_curve:prime256v1",
      "-nodes", "-keyout", pair.key,     "-out", pair.cert,  "-days",
      "1",      "-subj",   "/CN=" + name};
  if (server) args.insert(args.end(), {"-addext", "subjectAltName=IP:127.0.0.1"});
  const Result made = run_program(kOpenssl, args);
  if (made.exit_code != 0) throw std::runtime_error("openssl req failed: " + made.err);
  return pair;
}

// tests/cli/https_server.py on a port of 127.0.0.1, presenting `pair`, with its `options`.
class HttpsServer {
 public:
  HttpsServer(const KeyPair& pair, std::vector<std::string> options = {})
      : process_(kPython, arguments(pair, std::move(options)), {}) {
    const std::optional<std::string> port = process_.read_line(30s);
    if (!port) throw std::runtime_error("https_server.py did not start");
    port_ = std::stoi(*port);
  }

  std::string url(const std::string& host = "127.0.0.1") const {
    return "https://" + host + ":" + std::to_string(port_) + "/";
  }
  // Presents its --next certificate from the next connection on.
  void replace_certificate() { process_.signal(SIGUSR1); }

 private:
  static std::vector<std::string> arguments(const KeyPair& pair, std::vector<std::string> options) {
    std::vector<std::string> args = {runfile("tests/cli/https_server.py"), pair.cert, pair.key};
    args.insert(args.end(), options.begin(), options.end());
    return args;
  }

  SeltoolProcess process_;
  int port_ = 0;
};

std::vector<Json> events_named(const std::vector<Json>& lines, const std::string& name) {
  std::vector<Json> found;
  std::copy_if(lines.begin(), lines.end(), std::back_inserter(found),
               [&](const Json& line) { return line["event"] == name; });
  return found;
}

const char kWarning[] =
    "seltool: warning: -k/--insecure: the certificates of https:// targets are not verified; "
    "anyone on the path can answer in the server's name\n";

class Https : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* program : {kOpenssl, kPython}) {
      if (::access(program, X_OK) != 0) GTEST_SKIP() << program << " is not installed";
    }
    server_ = make_certificate(dir_, "server", true);
    other_ = make_certificate(dir_, "other", true);
    client_ = make_certificate(dir_, "client", false);
  }

  TempDir dir_;
  KeyPair server_;
  KeyPair other_;  // another self-signed certificate for 127.0.0.1
  KeyPair client_;
};

TEST_F(Https, CacertTrustsTheServersCertificate) {
  HttpsServer server(server_);
  const Result result = run_seltool(
      {"wait", "--cacert", server_.cert, "--expect-body-regex", "^secure$", server.url()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.err, "");
  const std::vector<Json> ready = events_named(parse_lines(result.out), "ready");
  ASSERT_EQ(ready.size(), 1u) << result.out;
  EXPECT_EQ(ready[0]["status"], 200);
}

TEST_F(Https, AnUnverifiedCertificateIsNamedInEachAttemptAndRetried) {
  HttpsServer server(server_);
  SeltoolProcess seltool({"wait", "-t", "60", "-i", "100ms", server.url()});
  for (int attempt = 1; attempt <= 2; ++attempt) {  // retried, not the end of the wait
    const std::optional<Json> failed = wait_for_event(seltool, "attempt_failed");
    ASSERT_TRUE(failed) << attempt;
    EXPECT_EQ((*failed)["attempt"], attempt);
    EXPECT_EQ((*failed)["error"]["code"], "CURLE_PEER_FAILED_VERIFICATION");
    EXPECT_EQ((*failed)["error"]["message"],
              "SSL certificate problem: self-signed certificate; --cacert FILE trusts a CA of "
              "your own, -k skips the verification");
  }
  seltool.signal(SIGTERM);
  EXPECT_EQ(seltool.wait_exit(), 128 + SIGTERM);
  const std::string err = seltool.rest_of_stderr();
  EXPECT_NE(err.find("(CURLE_PEER_FAILED_VERIFICATION: SSL certificate problem: "
                     "self-signed certificate;"),
            std::string::npos)
      << err;

  // Trusting another certificate is no better; nor is a name the certificate does not have.
  const Result other = run_seltool({"wait", "-t", "300ms", "--cacert", other_.cert, server.url()});
  EXPECT_EQ(other.exit_code, 124);
  EXPECT_NE(other.err.find("CURLE_PEER_FAILED_VERIFICATION"), std::string::npos) << other.err;
  const Result name =
      run_seltool({"wait", "-t", "300ms", "--cacert", server_.cert, server.url("localhost")});
  EXPECT_EQ(name.exit_code, 124);
  EXPECT_NE(name.err.find("(CURLE_PEER_FAILED_VERIFICATION: SSL: no alternative certificate "
                          "subject name matches target host name 'localhost'"),
            std::string::npos)
      << name.err;
}

// A server that starts with a temporary certificate and replaces it (Traefik's and Caddy's
// default certificate until ACME finishes): the wait goes on until the trusted one comes.
TEST_F(Https, AServerThatReplacesItsCertificateIsWaitedFor) {
  HttpsServer server(other_, {"--next", server_.cert, server_.key});
  SeltoolProcess seltool(
      {"wait", "-i", "100ms", "-t", "20", "--cacert", server_.cert, server.url()});
  const std::optional<Json> failed = wait_for_event(seltool, "attempt_failed");
  ASSERT_TRUE(failed);
  EXPECT_EQ((*failed)["error"]["code"], "CURLE_PEER_FAILED_VERIFICATION");
  server.replace_certificate();
  EXPECT_EQ(seltool.wait_exit(), 0);
  EXPECT_EQ(events_named(parse_lines(seltool.rest_of_stdout()), "ready").size(), 1u);
}

TEST_F(Https, InsecureSkipsTheVerificationAndSaysSoOnStderr) {
  HttpsServer server(server_);
  for (const char* option : {"-k", "--insecure"}) {
    const Result result = run_seltool({"wait", option, server.url()});
    EXPECT_EQ(result.exit_code, 0) << option << ": " << result.err;
    EXPECT_EQ(events_named(parse_lines(result.out), "ready").size(), 1u) << result.out;
    EXPECT_EQ(result.err, kWarning) << option;
  }
  // -q silences the events, not the warning.
  const Result quiet = run_seltool({"wait", "-q", "-k", server.url(), "--", "echo", "app"});
  EXPECT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.out, "app\n");
  EXPECT_EQ(quiet.err, kWarning);
}

TEST_F(Https, AClientCertificateForAServerThatRequiresOne) {
  HttpsServer server(server_, {"--client-ca", client_.cert});
  Result result = run_seltool({"wait", "--cacert", server_.cert, "--cert", client_.cert, "--key",
                               client_.key, server.url()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(events_named(parse_lines(result.out), "ready").size(), 1u) << result.out;

  // Without one, or with one the server does not trust, the handshake fails: a curl error
  // (which depends on when the TLS 1.3 alert arrives), retried until the timeout.
  for (const std::vector<std::string>& certificate :
       {std::vector<std::string>{},
        std::vector<std::string>{"--cert", other_.cert, "--key", other_.key}}) {
    std::vector<std::string> args = {"wait",  "-t",       "500ms",     "-i",
                                     "100ms", "--cacert", server_.cert};
    args.insert(args.end(), certificate.begin(), certificate.end());
    args.push_back(server.url());
    result = run_seltool(args);
    EXPECT_EQ(result.exit_code, 124) << result.out << result.err;
    const std::vector<Json> failed = events_named(parse_lines(result.out), "attempt_failed");
    ASSERT_FALSE(failed.empty()) << result.out;
    EXPECT_EQ(failed[0]["error"]["code"].get<std::string>().rfind("CURLE_", 0), 0u) << failed[0];
  }
}

}  // namespace
}  // namespace seltool::testing
