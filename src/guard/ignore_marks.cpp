#include "guard/ignore_marks.hpp"

#include <algorithm>
#include <chrono>
#include <fcntl.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <unistd.h>

namespace vg::guard {

namespace {

constexpr std::uint64_t kIgnored = FAN_OPEN_PERM;

std::string folder_of(const std::string &p) {
  auto slash = p.rfind('/');
  return slash == std::string::npos || slash == 0 ? "/" : p.substr(0, slash);
}

std::string handle_of(int fd) {
  alignas(struct file_handle) unsigned char space[sizeof(struct file_handle) + MAX_HANDLE_SZ];
  auto *fh = reinterpret_cast<struct file_handle *>(space);
  fh->handle_bytes = MAX_HANDLE_SZ;
  int mount_id = 0;
  if (name_to_handle_at(fd, "", fh, &mount_id, AT_EMPTY_PATH) != 0)
    return {};
  return {reinterpret_cast<const char *>(space), sizeof(struct file_handle) + fh->handle_bytes};
}

} // namespace

bool IgnoreMarks::add(int fd, dev_t dev, ino_t ino, const std::string &path) {
  if (perm_fd_ < 0)
    return false;
  if (contains(dev, ino))
    return true;
  // At the cap: look for stale entries after a name changed, and at most once a second otherwise
  // (a folder above a protected one can be renamed without an event for it).
  auto now = std::chrono::steady_clock::now();
  if (by_inode_.size() >= cap_ && (dirty_ || now - last_sweep_ >= std::chrono::seconds(1))) {
    last_sweep_ = now;
    sweep();
  }
  if (by_inode_.size() >= cap_) {
    ++refused_;
    return false;
  }
  if (fanotify_mark(perm_fd_, FAN_MARK_ADD | FAN_MARK_IGNORED_MASK, kIgnored, fd, nullptr) != 0)
    return false;
  if (auto old = by_path_.find(path); old != by_path_.end())
    if (auto it = by_inode_.find(old->second); it != by_inode_.end())
      take_back(it, false); // a stale entry under the same name
  by_inode_[{dev, ino}] = Entry{path, handle_of(fd)};
  by_path_[path] = {dev, ino};
  return true;
}

void IgnoreMarks::forget(int fd, dev_t dev, ino_t ino) {
  auto it = by_inode_.find({dev, ino});
  if (it == by_inode_.end())
    return;
  // Usually the kernel dropped the mask already (a write); but the event may also have been queued
  // just before the mask was added: remove it, so that no mask is left that nobody tracks.
  fanotify_mark(perm_fd_, FAN_MARK_REMOVE | FAN_MARK_IGNORED_MASK, kIgnored, fd, nullptr);
  erase(it);
}

void IgnoreMarks::erase(std::map<Key, Entry>::iterator it) {
  if (auto p = by_path_.find(it->second.path); p != by_path_.end() && p->second == it->first)
    by_path_.erase(p);
  by_inode_.erase(it);
}

void IgnoreMarks::take_back(std::map<Key, Entry>::iterator it, bool at_path) {
  const Entry &e = it->second;
  if (at_path) {
    fanotify_mark(perm_fd_, FAN_MARK_REMOVE | FAN_MARK_IGNORED_MASK, kIgnored, AT_FDCWD,
                  e.path.c_str());
  } else if (!e.handle.empty()) {
    // The inode is no longer at its path: reach it through its file handle. open_by_handle_at()
    // wants a real descriptor of a folder on the same filesystem (not O_PATH); opening a folder
    // sends no permission event (the guard's marks never carry FAN_ONDIR), and the file itself is
    // opened O_PATH (no event either), so this never waits for the guard's own answer.
    alignas(struct file_handle) unsigned char space[sizeof(struct file_handle) + MAX_HANDLE_SZ];
    std::copy(e.handle.begin(), e.handle.end(), space);
    int mount_fd = open(folder_of(e.path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (mount_fd < 0)
      mount_fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int fd = mount_fd < 0
                 ? -1
                 : open_by_handle_at(mount_fd, reinterpret_cast<struct file_handle *>(space),
                                     O_PATH | O_CLOEXEC);
    if (fd >= 0) {
      // fanotify_mark() takes no O_PATH descriptor as its object: name it through /proc.
      std::string proc = "/proc/self/fd/" + std::to_string(fd);
      fanotify_mark(perm_fd_, FAN_MARK_REMOVE | FAN_MARK_IGNORED_MASK, kIgnored, AT_FDCWD,
                    proc.c_str());
      close(fd);
    }
    // ESTALE: the inode is gone, and its marks with it.
    if (mount_fd >= 0)
      close(mount_fd);
  }
  erase(it);
}

void IgnoreMarks::sweep() {
  dirty_ = false;
  for (auto it = by_inode_.begin(); it != by_inode_.end();) {
    auto next = std::next(it);
    struct stat st {};
    if (lstat(it->second.path.c_str(), &st) != 0 || st.st_dev != it->first.first ||
        st.st_ino != it->first.second)
      take_back(it, false);
    it = next;
  }
}

void IgnoreMarks::clear() {
  while (!by_inode_.empty())
    take_back(by_inode_.begin(), false);
}

void IgnoreMarks::name_changed(const std::string &path) {
  if (perm_fd_ < 0)
    return;
  dirty_ = true;
  struct stat st {};
  bool exists = lstat(path.c_str(), &st) == 0;
  Key here{st.st_dev, st.st_ino};
  if (auto p = by_path_.find(path); p != by_path_.end() && (!exists || p->second != here))
    if (auto it = by_inode_.find(p->second); it != by_inode_.end())
      take_back(it, false);
  if (!exists || !S_ISREG(st.st_mode))
    return;
  auto it = by_inode_.find(here);
  if (it != by_inode_.end() && it->second.path == path)
    return; // the same file under the same name (e.g. chmod): still exempt
  if (it != by_inode_.end()) {
    if (auto old = by_path_.find(it->second.path); old != by_path_.end() && old->second == here)
      by_path_.erase(old);
    it->second.path = path; // remove the mask from the inode where it is now
    take_back(it, true);
    return;
  }
  // Not tracked: make sure no mask is there either (ENOENT when there is none).
  fanotify_mark(perm_fd_, FAN_MARK_REMOVE | FAN_MARK_IGNORED_MASK, kIgnored, AT_FDCWD,
                path.c_str());
}

void IgnoreMarks::revoke(const std::string &path) {
  if (perm_fd_ < 0)
    return;
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0)
    if (auto it = by_inode_.find({st.st_dev, st.st_ino}); it != by_inode_.end())
      erase(it);
  // Tracked or not (ENOENT when the inode has no ignore mask).
  fanotify_mark(perm_fd_, FAN_MARK_REMOVE | FAN_MARK_IGNORED_MASK, kIgnored, AT_FDCWD,
                path.c_str());
}

} // namespace vg::guard
