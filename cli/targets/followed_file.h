// A regular file followed by its name, as `tail -F` follows it (watch --follow): what was
// appended since the last look, its truncation (copytruncate), and its rotation: the name
// renamed away or removed, after which the file the name names next is read from its start.
// Looked at when the target set says the path may have changed (TargetPolicy::on_path_changed).
// POSIX only (followed_file_posix.cc); Windows watches no path (followed_file_windows.cc).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli/targets/targets.h"

namespace seltool::cli {

struct FileNews {
  enum class Kind {
    kData,       // bytes appended (and, with keep_data, what they are)
    kTruncated,  // the file shrank below what was read: read again from its start
    kRotated,    // the name no longer names the file read: what it names next is read
  };
  Kind kind = Kind::kData;
  std::uint64_t bytes = 0;  // kData: how many; kTruncated: the size the file has now
  std::string data;         // kData, with keep_data: at most kConsumeLimit bytes per item
};

class FollowedFile {
 public:
  // `target` is a path target, open or absent(); it must outlive this. `from_end`: what the
  // file holds now is skipped (tail -n 0 -F); a file that appears later is read from its start.
  FollowedFile(Target& target, bool from_end);

  // What happened since the last look, in order; reads to the end of the file (keep_data: the
  // bytes; without: only their count, by moving the offset).
  std::vector<FileNews> look(bool keep_data);

 private:
  // Reads (or skips) what the open file holds past offset_, up to `size` and beyond.
  void read_appended(std::vector<FileNews>& news, bool keep_data, std::uint64_t size);
  // Whether the path still names the open file.
  bool still_named() const;

  Target& target_;
  std::uint64_t offset_ = 0;
};

}  // namespace seltool::cli
