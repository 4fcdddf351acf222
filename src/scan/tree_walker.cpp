#include "scan/tree_walker.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fnmatch.h>
#include <set>
#include <sys/stat.h>
#include <utility>
#include <vector>

namespace vg {

namespace {

bool matches_any(const std::vector<std::string> &globs, const std::string &path) {
  std::string_view base = path;
  if (auto s = base.find_last_of('/'); s != std::string_view::npos)
    base = base.substr(s + 1);
  for (const auto &g : globs) {
    if (fnmatch(g.c_str(), path.c_str(), 0) == 0)
      return true;
    if (fnmatch(g.c_str(), std::string(base).c_str(), 0) == 0)
      return true;
  }
  return false;
}

struct Walker {
  const ScanOptions &opts;
  const std::function<void(const std::string &)> &on_file;
  const std::function<void(const std::string &, const std::string &)> &on_error;
  WalkCounters &counters;
  std::set<std::pair<dev_t, ino_t>> visited;

  void dir(const std::string &path, const struct stat &st) {
    if (!visited.insert({st.st_dev, st.st_ino}).second)
      return; // a loop or a second path to the same directory
    ++counters.directories;
    DIR *d = ::opendir(path.c_str());
    if (!d) {
      on_error(path, std::strerror(errno));
      return;
    }
    std::vector<std::string> names;
    while (auto *e = ::readdir(d)) {
      if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0)
        continue;
      names.emplace_back(e->d_name);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    std::string prefix = path.ends_with('/') ? path : path + "/";
    for (const auto &n : names)
      entry(prefix + n, false);
  }

  void entry(const std::string &path, bool top) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
      on_error(path, std::strerror(errno));
      return;
    }
    if (S_ISLNK(st.st_mode)) {
      if (!top && !opts.follow_symlinks)
        return;
      if (::stat(path.c_str(), &st) != 0) {
        on_error(path, std::string("broken symbolic link: ") + std::strerror(errno));
        return;
      }
    }
    if (S_ISDIR(st.st_mode)) {
      if (!top && !opts.recursive)
        return;
      if (!top && matches_any(opts.exclude_dir, path))
        return;
      dir(path, st);
      return;
    }
    if (!top && matches_any(opts.exclude, path))
      return;
    if (S_ISREG(st.st_mode) || top) {
      on_file(path);
      return;
    }
    // Sockets, FIFOs and devices inside a tree are not files to scan (as clamscan skips them).
  }
};

} // namespace

void walk_paths(const ScanOptions &opts, const std::function<void(const std::string &)> &on_file,
                const std::function<void(const std::string &, const std::string &)> &on_error,
                WalkCounters &counters) {
  Walker w{opts, on_file, on_error, counters, {}};
  for (const auto &p : opts.paths) {
    if (p == "-") {
      on_file(p);
      continue;
    }
    w.entry(p, true);
  }
}

} // namespace vg
