// The AFD backend on Windows: readiness of any number of sockets from the Winsock kernel driver
// (AFD), as wepoll, mio, smol-rs/polling and libuv do it, without select()'s FD_SETSIZE.
// - `\Device\Afd\seltool` is opened with NtCreateFile: a "poll group", a handle that carries
//   IOCTL_AFD_POLL requests for up to 32 sockets, each request on the socket's base handle
//   (SIO_BASE_HANDLE: a layered service provider may wrap the socket) and for one socket.
// - Every poll group is associated with one I/O completion port; a poll that finds its socket
//   ready completes, and wait() takes the completions with GetQueuedCompletionStatusEx.
// - A poll reports once, so a socket whose poll completed (or was cancelled for a modify) is
//   polled again at the next wait(): level-triggered, as every backend of the library. A poll
//   that completed between two waits is reported by the second even if the socket was drained
//   meanwhile (may_report_past_readiness).
// - modify() cancels the pending poll (NtCancelIoFileEx) and the next wait() issues the new
//   one; remove() cancels it and keeps the request's memory until its completion arrives (the
//   driver writes the result into it). close() cancels all and waits for every completion.
// - The wakeup channel is a completion posted to the port (PostQueuedCompletionStatus).
// - The ntdll functions are looked up at run time: where one is missing the backend cannot be
//   created and the registry falls back to select.
// clang-format off
#include <winsock2.h>
#include <windows.h>
#include <mswsock.h>
#include <winternl.h>
// clang-format on

#include <algorithm>
#include <atomic>
#include <climits>
#include <list>
#include <memory>
#include <string>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "lib/backend.h"
#include "lib/backends.h"
#include "lib/waker.h"
#include "lib/winsock_setup.h"

namespace seltool {
namespace {

constexpr BackendTraits kTraits = [] {
  BackendTraits traits;
  traits.has_kernel_object = false;              // a completion port is a HANDLE, not an fd
  traits.refuses_closed_descriptors = true;      // SIO_BASE_HANDLE: WSAENOTSOCK
  traits.reports_hangup = true;                  // AFD_POLL_DISCONNECT / AFD_POLL_ABORT
  traits.may_report_past_readiness = true;       // a completion may wait in the port
  traits.may_report_a_descriptor_twice = false;  // one request per socket
  return traits;
}();

// The driver's interface, as wepoll, mio and wine (dlls/ws2_32/tests/afd.c) use it.
constexpr ULONG kIoctlAfdPoll = 0x00012024;
constexpr ULONG kAfdPollReceive = 0x0001;
constexpr ULONG kAfdPollReceiveExpedited = 0x0002;
constexpr ULONG kAfdPollSend = 0x0004;
constexpr ULONG kAfdPollDisconnect = 0x0008;
constexpr ULONG kAfdPollAbort = 0x0010;
constexpr ULONG kAfdPollLocalClose = 0x0020;
constexpr ULONG kAfdPollAccept = 0x0080;
constexpr ULONG kAfdPollConnectFail = 0x0100;

constexpr NTSTATUS kStatusSuccess = 0;
constexpr NTSTATUS kStatusPending = NTSTATUS(0x00000103L);
constexpr NTSTATUS kStatusCancelled = NTSTATUS(0xC0000120L);
constexpr NTSTATUS kStatusNotFound = NTSTATUS(0xC0000225L);

// At most this many sockets share one poll group (wepoll's and mio's number).
constexpr int kSocketsPerGroup = 32;

struct AfdPollHandleInfo {
  HANDLE handle;
  ULONG events;
  NTSTATUS status;
};

struct AfdPollInfo {
  LARGE_INTEGER timeout;
  ULONG number_of_handles;
  ULONG exclusive;
  AfdPollHandleInfo handles[1];
};

using NtCreateFileFn = NTSTATUS(NTAPI*)(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES, PIO_STATUS_BLOCK,
                                        PLARGE_INTEGER, ULONG, ULONG, ULONG, ULONG, PVOID, ULONG);
using NtDeviceIoControlFileFn = NTSTATUS(NTAPI*)(HANDLE, HANDLE, PIO_APC_ROUTINE, PVOID,
                                                 PIO_STATUS_BLOCK, ULONG, PVOID, ULONG, PVOID,
                                                 ULONG);
using NtCancelIoFileExFn = NTSTATUS(NTAPI*)(HANDLE, PIO_STATUS_BLOCK, PIO_STATUS_BLOCK);
using RtlNtStatusToDosErrorFn = ULONG(NTAPI*)(NTSTATUS);

// The ntdll functions, found once; throws std::system_error when one is missing.
struct Ntdll {
  NtCreateFileFn create_file;
  NtDeviceIoControlFileFn device_io_control_file;
  NtCancelIoFileExFn cancel_io_file_ex;
  RtlNtStatusToDosErrorFn status_to_dos_error;

  static const Ntdll& get() {
    static const Ntdll ntdll = load();
    return ntdll;
  }

 private:
  template <typename F>
  static F find(HMODULE module, const char* name) {
    FARPROC function = module ? ::GetProcAddress(module, name) : nullptr;
    if (!function) {
      throw std::system_error(int(ERROR_PROC_NOT_FOUND), std::system_category(),
                              std::string("ntdll.dll has no ") + name);
    }
    return reinterpret_cast<F>(reinterpret_cast<void*>(function));
  }
  static Ntdll load() {
    const HMODULE module = ::GetModuleHandleW(L"ntdll.dll");
    return {find<NtCreateFileFn>(module, "NtCreateFile"),
            find<NtDeviceIoControlFileFn>(module, "NtDeviceIoControlFile"),
            find<NtCancelIoFileExFn>(module, "NtCancelIoFileEx"),
            find<RtlNtStatusToDosErrorFn>(module, "RtlNtStatusToDosError")};
  }
};

[[noreturn]] void throw_status(NTSTATUS status, const std::string& what) {
  throw std::system_error(int(Ntdll::get().status_to_dos_error(status)), std::system_category(),
                          what);
}

[[noreturn]] void throw_last_error(const std::string& what) {
  throw std::system_error(int(::GetLastError()), std::system_category(), what);
}

// An owned HANDLE (CloseHandle).
class UniqueHandle {
 public:
  explicit UniqueHandle(HANDLE handle = nullptr) : handle_(handle) {}
  UniqueHandle(const UniqueHandle&) = delete;
  UniqueHandle& operator=(const UniqueHandle&) = delete;
  ~UniqueHandle() { reset(); }
  HANDLE get() const noexcept { return handle_; }
  void reset() noexcept {
    if (handle_) ::CloseHandle(std::exchange(handle_, nullptr));
  }

 private:
  HANDLE handle_;
};

// The AFD events a registration asks for. Hangup, reset and a failed connect are always asked:
// they make a socket readable and writable (Python's rule, as the other backends).
ULONG afd_events_for(Events events) {
  ULONG afd = kAfdPollLocalClose | kAfdPollAbort | kAfdPollConnectFail;
  if (events & EVENT_READ) {
    afd |= kAfdPollReceive | kAfdPollAccept | kAfdPollDisconnect | kAfdPollReceiveExpedited;
  }
  if (events & EVENT_WRITE) afd |= kAfdPollSend;
  return afd;
}

// What a completed poll's events mean, before masking with the registration's events.
Events events_of(ULONG afd) {
  Events events = 0;
  if (afd & (kAfdPollReceive | kAfdPollAccept | kAfdPollDisconnect | kAfdPollReceiveExpedited)) {
    events |= EVENT_READ;
  }
  if (afd & kAfdPollSend) events |= EVENT_WRITE;
  if (afd & (kAfdPollAbort | kAfdPollConnectFail)) events |= EVENT_READ | EVENT_WRITE;
  return events;
}

Conditions conditions_of(ULONG afd) {
  return ((afd & (kAfdPollDisconnect | kAfdPollAbort)) ? CONDITION_HANGUP : 0) |
         ((afd & kAfdPollConnectFail) ? CONDITION_ERROR : 0) |
         ((afd & kAfdPollReceiveExpedited) ? CONDITION_PRIORITY : 0);
}

// A handle on \Device\Afd that carries the polls of up to kSocketsPerGroup sockets.
struct PollGroup {
  explicit PollGroup(HANDLE handle) : afd(handle) {}
  UniqueHandle afd;
  int sockets = 0;
};

// One registered socket and its poll request. The driver writes into `iosb` and `info` until
// the request completes, so the object lives until then, even after remove().
struct SocketState {
  IO_STATUS_BLOCK iosb{};
  AfdPollInfo info{};
  PollGroup* group = nullptr;
  SOCKET base = INVALID_SOCKET;
  Events events = 0;
  Token token = 0;
  bool pending = false;    // a poll request is in the driver
  bool cancelled = false;  // ... and NtCancelIoFileEx was asked for it
  bool removed = false;    // remove() came; freed at its completion
  bool closed = false;     // the socket was closed (AFD_POLL_LOCAL_CLOSE): never polled again
};

// The key of the wakeup channel's completions (the polls complete with key 0).
constexpr ULONG_PTR kWakeupKey = 1;

class CompletionWaker final : public Waker {
 public:
  explicit CompletionWaker(HANDLE port) : port_(port) {}
  int fd() const noexcept override { return -1; }
  void wake() noexcept override {
    if (posted_.exchange(true)) return;  // one is in the port already: wakeups coalesce
    const DWORD saved = ::GetLastError();
    if (!::PostQueuedCompletionStatus(port_, 0, kWakeupKey, nullptr)) posted_ = false;
    ::SetLastError(saved);
  }
  // wait() took the completion out of the port.
  void taken() noexcept { posted_ = false; }
  void consume() noexcept override {}
  void keep() noexcept override { wake(); }
  void close() noexcept override {}

 private:
  HANDLE port_;
  std::atomic<bool> posted_{false};
};

class AfdBackend final : public Backend {
 public:
  AfdBackend() : port_(::CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 0)) {
    if (!port_.get()) throw_last_error("CreateIoCompletionPort");
    winsock::ensure_started();
    // One group now: a system without a working \Device\Afd fails here, at creation.
    new_group();
  }
  ~AfdBackend() override { close(); }

  std::string_view name() const noexcept override { return "afd"; }
  const BackendTraits& traits() const noexcept override { return kTraits; }

  std::unique_ptr<Waker> make_waker() override {
    auto waker = std::make_unique<CompletionWaker>(port_.get());
    waker_ = waker.get();
    return waker;
  }

  void add(int fd, Events events, Token token) override {
    const SOCKET base = base_socket(fd);
    PollGroup* group = group_with_room();
    auto state = std::make_unique<SocketState>();
    state->group = group;
    state->base = base;
    state->events = events;
    state->token = token;
    sockets_.reserve(sockets_.size() + 1);  // nothing below may throw
    ++group->sockets;
    sockets_.emplace(fd, std::move(state));
  }

  void modify(int fd, Events, Events new_events, Token token) override {
    SocketState& state = *sockets_.at(fd);
    const bool asks_more = (afd_events_for(new_events) & ~state.info.handles[0].events) != 0;
    state.events = new_events;
    state.token = token;
    // A pending poll for more than is asked now is harmless (its report is masked); one for
    // less must be replaced.
    if (asks_more) cancel(state);
  }

  void remove(int fd, Events, Token) noexcept override {
    const auto found = sockets_.find(fd);
    if (found == sockets_.end()) return;
    std::unique_ptr<SocketState> state = std::move(found->second);
    sockets_.erase(found);
    if (state->pending) {
      cancel(*state);
      state->removed = true;
      removed_.push_back(std::move(state));  // until the driver has let go of it
    } else {
      --state->group->sockets;
    }
  }

  void wait(std::optional<std::chrono::nanoseconds> timeout, std::size_t,
            std::vector<RawEvent>& events) override {
    submit_polls(events);
    entries_.resize(std::max<std::size_t>(pending_ + 1, 64));
    ULONG taken = 0;
    if (!::GetQueuedCompletionStatusEx(port_.get(), entries_.data(), ULONG(entries_.size()), &taken,
                                       events.empty() ? timeout_ms(timeout) : 0, FALSE)) {
      const DWORD error = ::GetLastError();
      if (error == WAIT_TIMEOUT) return;
      throw std::system_error(int(error), std::system_category(), "GetQueuedCompletionStatusEx");
    }
    for (ULONG i = 0; i < taken; ++i) {
      const OVERLAPPED_ENTRY& entry = entries_[i];
      if (entry.lpCompletionKey == kWakeupKey) {
        if (waker_) waker_->taken();
        events.push_back(raw_event(token::wakeup(-1), EVENT_READ, 0));
        continue;
      }
      complete(*reinterpret_cast<SocketState*>(entry.lpOverlapped), events);
    }
  }

  void close() noexcept override {
    if (!port_.get()) return;
    for (auto& [fd, state] : sockets_) cancel(*state);
    for (auto& state : removed_) cancel(*state);
    // The driver writes into every request until it completes: wait for each completion.
    while (pending_ > 0) {
      entries_.resize(std::max<std::size_t>(pending_, 64));
      ULONG taken = 0;
      if (!::GetQueuedCompletionStatusEx(port_.get(), entries_.data(), ULONG(entries_.size()),
                                         &taken, 1000, FALSE)) {
        if (::GetLastError() != WAIT_TIMEOUT) break;
        continue;
      }
      for (ULONG i = 0; i < taken; ++i) {
        if (entries_[i].lpCompletionKey == kWakeupKey) continue;
        auto* state = reinterpret_cast<SocketState*>(entries_[i].lpOverlapped);
        state->pending = false;
        --pending_;
      }
    }
    // A request that never completed (a broken driver) keeps its memory: leaked, not freed
    // under the driver.
    if (pending_ == 0) {
      sockets_.clear();
      removed_.clear();
    } else {
      for (auto& [fd, state] : sockets_) state.release();
      for (auto& state : removed_) state.release();
    }
    groups_.clear();
    port_.reset();
  }

 private:
  static DWORD timeout_ms(std::optional<std::chrono::nanoseconds> timeout) {
    if (!timeout) return INFINITE;
    if (timeout->count() == 0) return 0;
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(*timeout).count();
    // Longer waits are cut; the core waits again for the rest.
    return DWORD(std::min<long long>(ms, INFINITE - 1));
  }

  // The socket the driver knows (below any layered service provider); WSAENOTSOCK for
  // anything else (wine's SIO_BASE_HANDLE accepts a pipe handle: asked first).
  static SOCKET base_socket(int fd) {
    winsock::require_socket(fd);
    SOCKET base = INVALID_SOCKET;
    DWORD bytes = 0;
    if (::WSAIoctl(SOCKET(fd), SIO_BASE_HANDLE, nullptr, 0, &base, sizeof base, &bytes, nullptr,
                   nullptr) == SOCKET_ERROR) {
      throw std::system_error(::WSAGetLastError(), std::system_category(),
                              "handle " + std::to_string(fd) +
                                  " is not a socket (on Windows only sockets can be registered)");
    }
    return base;
  }

  void new_group() {
    static constexpr wchar_t kName[] = L"\\Device\\Afd\\seltool";
    UNICODE_STRING name{USHORT(sizeof kName - sizeof(wchar_t)), USHORT(sizeof kName),
                        const_cast<wchar_t*>(kName)};
    OBJECT_ATTRIBUTES attributes{};
    attributes.Length = sizeof attributes;
    attributes.ObjectName = &name;
    IO_STATUS_BLOCK iosb{};
    HANDLE afd = nullptr;
    const NTSTATUS status =
        Ntdll::get().create_file(&afd, SYNCHRONIZE, &attributes, &iosb, nullptr, 0,
                                 FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_OPEN, 0, nullptr, 0);
    if (status != kStatusSuccess) throw_status(status, "NtCreateFile(\\Device\\Afd)");
    auto group = std::make_unique<PollGroup>(afd);
    if (!::CreateIoCompletionPort(afd, port_.get(), 0, 0)) {
      throw_last_error("CreateIoCompletionPort(\\Device\\Afd)");
    }
    if (!::SetFileCompletionNotificationModes(afd, FILE_SKIP_SET_EVENT_ON_HANDLE)) {
      throw_last_error("SetFileCompletionNotificationModes(\\Device\\Afd)");
    }
    groups_.push_back(std::move(group));
  }

  PollGroup* group_with_room() {
    for (const auto& group : groups_) {
      if (group->sockets < kSocketsPerGroup) return group.get();
    }
    new_group();
    return groups_.back().get();
  }

  // Issues a poll for every registered socket that has none in the driver. A socket the
  // driver refuses (closed, not a socket any more) is reported in error, and not polled again.
  void submit_polls(std::vector<RawEvent>& events) {
    for (auto& [fd, state] : sockets_) {
      if (state->pending || state->closed) continue;
      AfdPollInfo& info = state->info;
      info.timeout.QuadPart = LLONG_MAX;
      info.number_of_handles = 1;
      info.exclusive = FALSE;
      info.handles[0] = {HANDLE(state->base), afd_events_for(state->events), 0};
      state->iosb.Status = kStatusPending;
      const NTSTATUS status = Ntdll::get().device_io_control_file(
          state->group->afd.get(), nullptr, nullptr, state.get(), &state->iosb, kIoctlAfdPoll,
          &info, sizeof info, &info, sizeof info);
      if (status != kStatusSuccess && status != kStatusPending) {
        state->closed = true;
        events.push_back(raw_event(state->token, state->events, CONDITION_ERROR));
        continue;
      }
      // Completed at once or not: the completion comes through the port.
      state->pending = true;
      state->cancelled = false;
      ++pending_;
    }
  }

  void cancel(SocketState& state) noexcept {
    if (!state.pending || state.cancelled) return;
    IO_STATUS_BLOCK cancel_iosb{};
    const NTSTATUS status =
        Ntdll::get().cancel_io_file_ex(state.group->afd.get(), &state.iosb, &cancel_iosb);
    // STATUS_NOT_FOUND: it completed already; its completion is in the port.
    state.cancelled = status == kStatusSuccess || status == kStatusNotFound;
  }

  // A poll's completion: the request is back, its socket is polled again at the next wait.
  void complete(SocketState& state, std::vector<RawEvent>& events) {
    state.pending = false;
    --pending_;
    if (state.removed) {
      --state.group->sockets;
      removed_.remove_if([&](const std::unique_ptr<SocketState>& s) { return s.get() == &state; });
      return;
    }
    const NTSTATUS status = state.iosb.Status;
    if (status == kStatusCancelled) return;  // by modify(): re-issued with the new events
    Events ready = 0;
    Conditions conditions = 0;
    if (status < 0) {  // the poll failed: the socket is in error
      ready = EVENT_READ | EVENT_WRITE;
      conditions = CONDITION_ERROR;
    } else if (state.info.number_of_handles >= 1) {
      const ULONG afd = state.info.handles[0].events;
      if (afd & kAfdPollLocalClose) {
        state.closed = true;  // closed without unregister(): nothing more to watch
        return;
      }
      ready = events_of(afd);
      conditions = conditions_of(afd);
    }
    ready &= state.events;
    if (ready) events.push_back(raw_event(state.token, ready, conditions));
  }

  UniqueHandle port_;
  std::vector<std::unique_ptr<PollGroup>> groups_;
  std::unordered_map<int, std::unique_ptr<SocketState>> sockets_;
  std::list<std::unique_ptr<SocketState>> removed_;
  std::size_t pending_ = 0;
  std::vector<OVERLAPPED_ENTRY> entries_;
  CompletionWaker* waker_ = nullptr;
};

}  // namespace

std::unique_ptr<Backend> make_afd_backend() { return std::make_unique<AfdBackend>(); }

}  // namespace seltool
