#include "cli/base/error_info.h"

#include <errno.h>

#include <cstring>

namespace seltool::cli {

ErrorInfo ErrorInfo::from_errno(int errnum) {
  return ErrorInfo{errnum, errno_name(errnum), error_text(errnum)};
}

// The ones seltool's targets and servers can meet; others get "E<number>".
std::string errno_name(int errnum) {
  switch (errnum) {
#define SELTOOL_ERRNO(name) \
  case name:                \
    return #name;
    SELTOOL_ERRNO(EPERM)
    SELTOOL_ERRNO(ENOENT)
    SELTOOL_ERRNO(ESRCH)
    SELTOOL_ERRNO(EINTR)
    SELTOOL_ERRNO(EIO)
    SELTOOL_ERRNO(ENXIO)
    SELTOOL_ERRNO(EBADF)
    SELTOOL_ERRNO(EAGAIN)
    SELTOOL_ERRNO(ENOMEM)
    SELTOOL_ERRNO(EACCES)
    SELTOOL_ERRNO(EEXIST)
    SELTOOL_ERRNO(ENOTDIR)
    SELTOOL_ERRNO(EISDIR)
    SELTOOL_ERRNO(EINVAL)
    SELTOOL_ERRNO(ENFILE)
    SELTOOL_ERRNO(EMFILE)
    SELTOOL_ERRNO(ENOSPC)
    SELTOOL_ERRNO(EPIPE)
    SELTOOL_ERRNO(ENAMETOOLONG)
    SELTOOL_ERRNO(ENOSYS)
    SELTOOL_ERRNO(ELOOP)
    SELTOOL_ERRNO(ENOTSOCK)
    SELTOOL_ERRNO(EPROTOTYPE)
    SELTOOL_ERRNO(EAFNOSUPPORT)
    SELTOOL_ERRNO(EADDRINUSE)
    SELTOOL_ERRNO(EADDRNOTAVAIL)
    SELTOOL_ERRNO(ENETDOWN)
    SELTOOL_ERRNO(ENETUNREACH)
    SELTOOL_ERRNO(ECONNABORTED)
    SELTOOL_ERRNO(ECONNRESET)
    SELTOOL_ERRNO(ENOBUFS)
    SELTOOL_ERRNO(ENOTCONN)
    SELTOOL_ERRNO(ETIMEDOUT)
    SELTOOL_ERRNO(ECONNREFUSED)
#ifdef EHOSTDOWN  // not in Windows' C runtime
    SELTOOL_ERRNO(EHOSTDOWN)
#endif
    SELTOOL_ERRNO(EHOSTUNREACH)
    SELTOOL_ERRNO(EALREADY)
    SELTOOL_ERRNO(EINPROGRESS)
#undef SELTOOL_ERRNO
    default:
      return "E" + std::to_string(errnum);
  }
}

}  // namespace seltool::cli
