// ignore_marks.hpp — the fanotify guard's exemptions: ignore marks on non-asset inodes in a
// protected folder, so that opening such a file no longer makes a permission round trip to the
// guard (the folder's FAN_OPEN_PERM | FAN_EVENT_ON_CHILD mark would otherwise send every open of
// every file in it; an inode's ignore mask also silences the events its parent's mark generates).
// Promise:
// - add() puts FAN_OPEN_PERM into the ignore mask of the inode behind a descriptor
//   (FAN_MARK_IGNORED_MASK, accepted by every kernel with fanotify; deliberately without
//   FAN_MARK_IGNORED_SURV_MODIFY, so the kernel itself drops the exemption at the inode's first
//   modification and the opens after it are judged again) and remembers it with its path and
//   file handle;
// - never more than `cap` exemptions: at the cap, entries whose path no longer leads to their inode
//   (renamed away, removed) are taken back first (looked for after a name changed, else at most
//   once a second); when it is still full, add() refuses and the
//   file's opens keep being judged one by one (correct, only slower);
// - name_changed(path) takes the exemption back at once from the inode tracked under `path` and
//   from a tracked inode that now has that name (a neighbour renamed or linked anywhere is judged
//   again; an untracked mask on the inode at `path` is removed too); clear() takes all back;
//   revoke(path) also removes an untracked ignore mask from the inode at `path` (an inode that
//   became an asset);
// - not thread-safe: the owner serialises calls.
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <sys/types.h>
#include <utility>

namespace vg::guard {

class IgnoreMarks {
public:
  static constexpr std::size_t kDefaultCap = 4096;
  explicit IgnoreMarks(std::size_t cap = kDefaultCap) : cap_(cap) {}

  // The fanotify permission group the marks belong to.
  void attach(int perm_fd) { perm_fd_ = perm_fd; }
  // Exempts the inode open at `fd` (dev/ino from its fstat; `path` its current name). False when
  // the cap is reached (and nothing stale could be taken back) or the kernel refused.
  bool add(int fd, dev_t dev, ino_t ino, const std::string &path);
  bool contains(dev_t dev, ino_t ino) const { return by_inode_.contains({dev, ino}); }
  // A permission event came for the inode open at `fd`: if it was exempt, the exemption is ended
  // (in the kernel too) and forgotten.
  void forget(int fd, dev_t dev, ino_t ino);
  // The name `path` was created, removed, renamed or linked: see the promise above.
  void name_changed(const std::string &path);
  // `path` names an asset now: whatever inode is there loses any ignore mask, tracked or not.
  void revoke(const std::string &path);
  // Takes every exemption back (notifications were lost: any of them may have moved).
  void clear();
  std::size_t size() const { return by_inode_.size(); }
  std::size_t cap() const { return cap_; }
  // How often add() refused because the cap was reached.
  std::size_t refused() const { return refused_; }

private:
  using Key = std::pair<dev_t, ino_t>;
  struct Entry {
    std::string path;
    std::string handle; // struct file_handle: handle_bytes, handle_type, f_handle
  };
  void take_back(std::map<Key, Entry>::iterator it, bool at_path);
  void erase(std::map<Key, Entry>::iterator it);
  void sweep();

  std::size_t cap_;
  int perm_fd_ = -1;
  std::size_t refused_ = 0;
  bool dirty_ = false; // a name changed since the last sweep
  std::chrono::steady_clock::time_point last_sweep_{};
  std::map<Key, Entry> by_inode_;
  std::map<std::string, Key> by_path_;
};

} // namespace vg::guard
