// TARGETs of `watch` and `wait`: what the user wrote (TargetSpec) and what seltool opened for
// it (Target). The grammar is documented in docs/cli.md.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/base/error_info.h"
#include "cli/os/process.h"
#include "cli/os/socket_address.h"
#include "lib/selectors.h"
#include "lib/unique_fd.h"

namespace seltool::cli {

enum class TargetKind {
  kDescriptor,
  kTcpConnect,
  kTcpListen,
  kUnixConnect,
  kUnixListen,
  kPath,
  kHttp,
  kPid,       // pid:PID:FD, descriptor FD of a running process (see cli/os/process.h)
  kPostgres,  // postgres://..., ready when a connection completes authentication
  kRedis,     // redis://..., ready when PING answers PONG
};

// The parts of a service URL (postgres://, redis://):
// SCHEME://[USER[:PASSWORD]@]HOST[:PORT][/DATABASE][?PARAMETERS], percent-decoded.
struct ServiceUrl {
  std::string user;
  std::optional<std::string> password;
  HostPort endpoint;     // the scheme's own port (5432, 6379) when the URL has none
  std::string database;  // "" when the URL has none
};

struct TargetSpec {
  // As given on the command line, except that a URL's password reads "***": the text every
  // message and event shows.
  std::string text;
  TargetKind kind = TargetKind::kDescriptor;
  int fd = -1;        // kDescriptor, kPid (the process's descriptor number)
  int pid = 0;        // kPid
  HostPort endpoint;  // kTcpConnect, kTcpListen
  std::string path;   // kUnixConnect, kUnixListen, kPath
  // kPath written file:PATH or file:///PATH: a path that does not exist yet is waited for
  // (a bare PATH that does not exist is a usage error, as a typo would be).
  bool awaited = false;
  // wait --invert-check of an awaited path: ready once nothing exists there; never opened.
  bool until_gone = false;
  std::string url;     // kHttp, kPostgres, kRedis: exactly as given (the password too)
  ServiceUrl service;  // kPostgres, kRedis

  bool connects() const {
    return kind == TargetKind::kTcpConnect || kind == TargetKind::kUnixConnect;
  }
  // Checked by a protocol check (cli/targets/protocol_checks.h) with sockets of its own.
  bool checked() const {
    return kind == TargetKind::kHttp || kind == TargetKind::kPostgres || kind == TargetKind::kRedis;
  }
  // Reached in attempts that can fail and be retried: connects and protocol checks.
  bool attempted() const { return connects() || checked(); }
};

// One form of TARGET: the grammar as data. --help, the manual page and parse_target()'s errors
// are made from it; tests check the parser, docs/cli.md and the completions against it.
struct TargetForm {
  std::string_view syntax;   // "tcp:HOST:PORT", as every view writes it
  std::string_view example;  // a word of this form, e.g. "tcp:127.0.0.1:5432"
  TargetKind kind;           // what parse_target() makes of the example
};

// Every form, in the order --help lists them.
const std::vector<TargetForm>& target_forms();

// Whether this OS's build can watch targets of `kind`: every kind on POSIX, sockets only on
// Windows (target_files_<os>.cc).
bool target_kind_available(TargetKind kind);

// A word of another tool's address grammar (socat's TCP4:, ...): read as its seltool twin, or
// refused with a message that names it. Part of the grammar table: --help, the manual page and
// docs/cli.md list these too; matched in any case, as socat does.
struct ForeignWord {
  std::string_view word;     // "tcp4:", lower case
  std::string_view twin;     // the seltool prefix it is read as ("tcp:"); "" when refused
  int family;                // AF_INET/AF_INET6 for an address of one family, else AF_UNSPEC
  std::string_view meaning;  // what it means in seltool, or why it is refused
};
const std::vector<ForeignWord>& foreign_words();

// "N | fd:N | - | ...": the forms for --help's TARGET (those this OS's build can watch), then
// the foreign words.
std::string target_synopsis();

// Parses one TARGET. Throws UsageError naming it and listing the forms when it is none of them.
// A word that is both HOST:PORT and an existing file is HOST:PORT (`./NAME` or `file:NAME` for
// the file), so that a script's `wait db:5432` never depends on the current directory.
TargetSpec parse_target(std::string_view text);

// Whether something exists at `path` (not following a final symbolic link). Per OS, with the
// descriptor and path targets (target_files_{posix,windows}.cc).
bool path_exists(const std::string& path);
// Whether `fd` is a pipe (FIFO) with no reader left: "writable" only in that a write fails
// with EPIPE. poll() says so with POLLERR on Linux, POLLHUP on the BSDs and macOS (FreeBSD's
// pipe_poll()); either counts (always false on Windows).
bool pipe_without_reader(int fd);
// Whether `fd` is a regular file whose offset is at or past its end: a read gives 0 at once,
// but kqueue never reports it readable (FreeBSD's filt_vfsread(), xnu's filt_vnread(): only
// while size - offset is not 0), where poll() and select() always do (always false on
// Windows).
bool at_end_of_file(int fd);
// Whether poll() says POLLHUP: a pipe or FIFO whose writers are gone (after one came), a
// datagram or seqpacket socket shut down or whose peer is gone (always false on Windows).
bool hung_up(int fd);
// read() of at most `size` bytes (recv() on Windows): the bytes read, 0 at the end, -1 and errno.
std::ptrdiff_t read_some(int fd, void* data, std::size_t size);

// Parses -e/--events ("read", "write", "read,write"); "" gives 0: each target's default.
Events parse_events(std::string_view list);
// What a target waits for when -e is not given: write (connected) for connect targets, else read.
Events default_events(const TargetSpec& spec);

// A target opened for watching. Owns what seltool opened (sockets, files); an inherited
// descriptor stays the caller's and is never closed or changed (no O_NONBLOCK on it).
class Target {
 public:
  enum class Connect { kInProgress, kConnected, kFailed };
  // What the descriptor is, as far as its end of stream goes (decided once, when opened).
  enum class Stream {
    kFile,          // regular file, terminal, device: nothing to read is the end (read gives 0)
    kPipe,          // pipe, FIFO: the end is when its writers are gone
    kStreamSocket,  // the end is the peer's shutdown or close
    kRecords,       // datagram or seqpacket socket: a datagram may have 0 bytes
  };

  // Checks an inherited descriptor is open; borrows a process's descriptor; opens a path;
  // binds and listens. Connect targets get their socket from begin_connect(). Throws
  // UsageError when the input is at fault (no such file, a directory, port in use, descriptor
  // not open, no such process, no permission), std::system_error when seltool is (EMFILE).
  Target(TargetSpec spec, Events interest);
  ~Target();
  Target(const Target&) = delete;
  Target& operator=(const Target&) = delete;

  const TargetSpec& spec() const { return spec_; }
  Events interest() const { return interest_; }
  // What the descriptor can be ready for: a read-only descriptor (a pipe's read end) is never
  // writable, although poll and epoll fold a hangup into both events and select does not.
  Events possible() const { return possible_; }
  int fd() const { return fd_; }
  bool is_socket() const { return socket_; }
  // A datagram or seqpacket socket: 0 bytes available may be a datagram of 0 bytes.
  bool reads_records() const { return stream_ == Stream::kRecords; }
  // Whether the target, readable with 0 bytes available, is at its end of stream: a pipe
  // without writers, a stream socket whose peer ended its stream, a datagram socket shut
  // down, a file or terminal (a read gives 0). Not when another reader of the pipe or
  // socket took the data first, nor for a datagram of 0 bytes. Asked without reading.
  bool at_end() const;
  // A regular file read to its end (at_end_of_file()): at its end now, whether or not the
  // backend reports it readable.
  bool read_to_end_of_file() const { return stream_ == Stream::kFile && at_end_of_file(fd_); }
  // The process a pid target's descriptor is borrowed from (nullptr for other targets): its
  // data is never read, and SO_ERROR is never read (it would clear the owner's error).
  const Process* process() const { return process_.get(); }
  // Why a pid target's process no longer holds the descriptor (it exited, or closed or
  // replaced it); nullopt while it does, and always for other targets.
  std::optional<ErrorInfo> owner_gone() const;
  // Closes the descriptor for good (after the selector stopped watching it); last_error()
  // then says `why`.
  void abandon(ErrorInfo why) { fail(std::move(why)); }
  bool is_listener() const {
    return spec_.kind == TargetKind::kTcpListen || spec_.kind == TargetKind::kUnixListen;
  }
  // An awaited path (TargetSpec::awaited) with nothing there yet, or one waited for to go
  // (until_gone): the target has no descriptor; reopen() opens it once it exists.
  bool absent() const { return spec_.kind == TargetKind::kPath && spec_.awaited && fd_ < 0; }
  // A regular file opened by path (what watch --follow follows).
  bool regular_file() const { return regular_; }
  // A FIFO opened by path: at its end of stream it can be opened again for the next writer.
  bool can_reopen() const { return fifo_ && spec_.kind == TargetKind::kPath; }
  // Closes the path's descriptor and opens the path again (fd() may change): a FIFO for its
  // next writer, a followed file after a rotation, an awaited path that appeared. False when
  // that failed (the path was removed, ...): last_error() says why and the target has no
  // descriptor any more.
  bool reopen();

  // Connect targets. begin_connect() resolves the address and starts a non-blocking connect
  // on a new socket. Once that socket is writable, connect_error() reads its SO_ERROR; when it
  // is not 0 the caller stops watching the socket and calls next_address(error), which closes
  // it and connects to the next address the name resolved to (kInProgress, fd() changed) or
  // gives up (kFailed: fd() is -1 and last_error() says why).
  Connect begin_connect();
  int connect_error() const;
  Connect next_address(int errnum);
  const std::optional<ErrorInfo>& last_error() const { return last_error_; }
  // Closes the descriptor seltool opened (fd() becomes -1) and keeps `error` as last_error().
  void fail(ErrorInfo error);

  // HTTP targets: the status the server answered in the last check (nullopt: none yet, or
  // that check got no answer). The HTTP checks record it.
  const std::optional<long>& http_status() const { return http_status_; }
  void set_http_status(std::optional<long> status) { http_status_ = status; }

  // The local and peer addresses of a socket target ("" where it has none).
  std::string local() const;
  std::string peer() const;

 private:
  // Takes the inherited descriptor spec_.fd, checked to be open and usable for interest_.
  // Throws UsageError otherwise, and on Windows, where no descriptor number can be watched.
  void open_inherited();
  // Opens spec_.path for interest_: 0, or the errno of the failure (EISDIR for a directory).
  // On Windows throws UsageError: no path can be watched there.
  int open_path();
  void borrow();
  // Which events descriptor fd_ can have (its access mode); refuses an interest it cannot.
  void take_access_mode(const std::string& descriptor);
  Connect connect_from(std::size_t index);

  TargetSpec spec_;
  Events interest_;
  Events possible_ = EVENT_READ | EVENT_WRITE;
  UniqueFd owned_;  // empty for inherited descriptors
  std::unique_ptr<Process> process_;
  int fd_ = -1;
  bool socket_ = false;
  Stream stream_ = Stream::kFile;
  bool fifo_ = false;
  bool regular_ = false;
  bool unlink_path_ = false;  // a unix-listen socket file seltool created
  std::vector<SocketAddress> addresses_;
  std::size_t next_address_ = 0;
  std::optional<ErrorInfo> last_error_;
  std::optional<long> http_status_;
};

}  // namespace seltool::cli
