// journal.hpp — the last good copy of every protected asset, and its history.
// Promise: contents are stored once per SHA-256 (content-addressed) under DIR/objects, each asset's
// versions as JSON lines under DIR/assets; history is bounded (oldest versions and unreferenced
// objects are dropped); every write is temp file + fsync + rename, so a crash leaves the old or the
// new state, never a torn one. restore() puts a version back atomically with its mode, owner and
// mtime. Errors throw vg::Error naming the journal path or the asset.
#pragma once
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

struct stat;

namespace vg::guard {

struct FileMeta {
  std::uint32_t mode = 0600; // permission bits only
  std::uint32_t uid = 0, gid = 0;
  std::int64_t mtime_ns = 0;
  static FileMeta from_stat(const struct stat &st);
};

struct JournalVersion {
  unsigned number = 0; // 1, 2, ... per asset
  std::string sha256;  // hex digest of the content
  std::uint64_t size = 0;
  FileMeta meta;
  std::string time;   // UTC, ISO 8601
  std::string writer; // who saved it ("initial", "/usr/bin/baresip (pid 42)", "restore")
  bool good = true;   // false: kept for the record (an untrusted change), never restored by default
};

class Journal {
public:
  explicit Journal(std::string dir, std::size_t max_versions = 20);

  const std::string &dir() const { return dir_; }
  // Stores `bytes` as the newest version of `asset` unless they and `meta` equal the newest one;
  // returns the newest version either way.
  JournalVersion record(const std::string &asset, std::span<const std::uint8_t> bytes,
                        const FileMeta &meta, const std::string &writer, bool good = true);
  std::vector<JournalVersion> history(const std::string &asset) const;
  std::optional<JournalVersion> latest(const std::string &asset) const;
  // The newest version marked good (what the guard restores).
  std::optional<JournalVersion> last_good(const std::string &asset) const;
  // The content of a version (checked against its digest).
  std::vector<std::uint8_t> content(const JournalVersion &v) const;
  // Atomically replaces `asset` with version `v` (parent folders recreated if they were removed).
  void restore(const std::string &asset, const JournalVersion &v) const;

private:
  std::string index_path(const std::string &asset) const;
  std::vector<JournalVersion> read_index(const std::string &asset) const;
  void write_index(const std::string &asset, const std::vector<JournalVersion> &versions) const;
  void collect_garbage() const;

  std::string dir_;
  std::size_t max_versions_;
  mutable std::mutex mu_;
};

// Writes `bytes` to `path` atomically (temp file in the same folder, fsync, rename).
void write_file_atomically(const std::string &path, std::span<const std::uint8_t> bytes,
                           unsigned mode = 0600);

} // namespace vg::guard
