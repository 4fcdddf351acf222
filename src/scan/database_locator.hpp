// database_locator.hpp — which signature databases a scan uses when the user names none.
// Promise: the order is --database (all given), then $VOXGUARD_DB, then /var/lib/voxguard, then
// /var/lib/clamav, then the bundled default database; a directory counts only when it holds at
// least one database file, so an empty /var/lib/clamav (clamav installed, freshclam never run) is
// passed over.
#pragma once
#include <string>
#include <vector>

namespace vg {

struct DatabaseChoice {
  std::vector<std::string> paths;
  std::string source; // "--database", "$VOXGUARD_DB", "/var/lib/voxguard", ..., "bundled"
};

// `bundled_dirs`: where the bundled default database may be (first existing wins).
DatabaseChoice locate_databases(const std::vector<std::string> &cli_paths,
                                const std::vector<std::string> &bundled_dirs);

// True when `dir` holds at least one file with a ClamAV database extension.
bool directory_has_databases(const std::string &dir);

} // namespace vg
