// bundled_databases.hpp — where the database shipped with voxguard lives.
// Promise: the installed copy (<prefix>/share/voxguard/db beside the running executable) first,
// then the source tree's db/ (a build that was never installed); existence is not checked here.
#pragma once
#include <string>
#include <vector>

namespace vg::cli {

std::vector<std::string> bundled_database_dirs();

} // namespace vg::cli
