// Windows watches no path (Target refuses them there), so no file is ever followed.
#include "cli/targets/followed_file.h"

namespace seltool::cli {

FollowedFile::FollowedFile(Target& target, bool from_end) : target_(target) { (void)from_end; }

std::vector<FileNews> FollowedFile::look(bool keep_data) {
  (void)keep_data;
  return {};
}

}  // namespace seltool::cli
