#include "cli/bundled_databases.hpp"

#include <filesystem>
#include <system_error>

namespace vg::cli {

std::vector<std::string> bundled_database_dirs() {
  std::vector<std::string> dirs;
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec)
    dirs.push_back((exe.parent_path().parent_path() / "share/voxguard/db").string());
  dirs.push_back(VOXGUARD_SOURCE_DB);
  return dirs;
}

} // namespace vg::cli
