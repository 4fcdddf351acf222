#include "scan/database_locator.hpp"

#include <cstdlib>
#include <filesystem>

namespace vg {

bool directory_has_databases(const std::string &dir) {
  static constexpr const char *exts[] = {".hdb", ".hsb",  ".ndb", ".ldb", ".mdb",
                                         ".msb", ".cvd",  ".cud", ".cld", ".fp",
                                         ".sfp", ".ign2", ".imp", ".cdb", ".yar"};
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    return false;
  for (const auto &e : std::filesystem::directory_iterator(dir, ec)) {
    auto ext = e.path().extension().string();
    for (const char *x : exts)
      if (ext == x)
        return true;
  }
  return false;
}

DatabaseChoice locate_databases(const std::vector<std::string> &cli_paths,
                                const std::vector<std::string> &bundled_dirs) {
  if (!cli_paths.empty())
    return {cli_paths, "--database"};
  if (const char *env = std::getenv("VOXGUARD_DB"); env && *env)
    return {{env}, "$VOXGUARD_DB"};
  for (const char *dir : {"/var/lib/voxguard", "/var/lib/clamav"})
    if (directory_has_databases(dir))
      return {{dir}, dir};
  for (const auto &dir : bundled_dirs)
    if (directory_has_databases(dir))
      return {{dir}, "bundled"};
  return {{}, "none"};
}

} // namespace vg
