#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/targets/followed_file.h"
#include "cli/targets/observation.h"

namespace seltool::cli {

FollowedFile::FollowedFile(Target& target, bool from_end) : target_(target) {
  if (from_end && target_.fd() >= 0) {
    const off_t end = ::lseek(target_.fd(), 0, SEEK_END);
    if (end > 0) offset_ = std::uint64_t(end);
  }
}

std::vector<FileNews> FollowedFile::look(bool keep_data) {
  std::vector<FileNews> news;
  // The file open now, then at most one that replaced it (a second rotation waits for the
  // next notice).
  for (int files = 0; files < 2; ++files) {
    if (target_.fd() < 0) {
      if (!path_exists(target_.spec().path) || !target_.reopen()) return news;
      offset_ = 0;
    }
    struct stat status {};
    if (::fstat(target_.fd(), &status) != 0) return news;
    const auto size = std::uint64_t(status.st_size);
    if (size < offset_) {
      news.push_back(FileNews{FileNews::Kind::kTruncated, size, ""});
      offset_ = 0;
      ::lseek(target_.fd(), 0, SEEK_SET);
    }
    read_appended(news, keep_data, size);
    if (still_named()) return news;
    news.push_back(FileNews{FileNews::Kind::kRotated, 0, ""});
    if (!target_.reopen()) return news;  // nothing there yet: read once it appears
    offset_ = 0;
  }
  return news;
}

void FollowedFile::read_appended(std::vector<FileNews>& news, bool keep_data, std::uint64_t size) {
  const int fd = target_.fd();
  if (!keep_data) {
    if (size <= offset_) return;
    news.push_back(FileNews{FileNews::Kind::kData, size - offset_, ""});
    offset_ = size;
    ::lseek(fd, off_t(offset_), SEEK_SET);
    return;
  }
  std::string buffer(kConsumeLimit, '\0');
  for (;;) {
    const std::ptrdiff_t n = ::read(fd, buffer.data(), buffer.size());
    if (n == -1 && errno == EINTR) continue;
    if (n <= 0) return;  // the end (or an error: the next look tries again)
    news.push_back(FileNews{FileNews::Kind::kData, std::uint64_t(n), buffer.substr(0, n)});
    offset_ += std::uint64_t(n);
  }
}

bool FollowedFile::still_named() const {
  struct stat named {};
  struct stat open {};
  return ::stat(target_.spec().path.c_str(), &named) == 0 && ::fstat(target_.fd(), &open) == 0 &&
         named.st_dev == open.st_dev && named.st_ino == open.st_ino;
}

}  // namespace seltool::cli
