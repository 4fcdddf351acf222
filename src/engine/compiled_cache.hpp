// compiled_cache.hpp — an on-disk cache of compiled matcher databases (Vectorscan's serialised
// databases), each stored under the SHA-256 of everything that determined it.
// Promise: load() returns a payload only from a regular file owned by this user and not writable
// by others, in a cache directory owned by this user and not writable by others, whose header
// carries the expected magic, format version and key, and whose payload has the recorded length
// and SHA-256. Any other file is a miss with one notice naming the file and the reason (the caller
// compiles again and stores again); a missing file is a silent miss. store() writes atomically
// (temporary file in the directory, then rename), files 0600, a directory it creates 0700, and
// keeps the total size of the entries under a bound by removing the least recently used ones.
// Nothing here throws once the cache is open: a cache that cannot be read or written only costs
// a recompile. A process-wide cache (set_compiled_cache) lets the command line switch caching on
// for the matchers the engine builds; it is off until someone sets it.
// load_mapped() makes the same checks of the file and its header, but maps the file read-only
// instead of reading it (the payload starts at a 64-byte-aligned address, for use in place) and
// checks the payload's SHA-256 on a background thread, reading the file through a small buffer so
// that the mapping's pages only become resident where the caller touches them. The caller may
// start decoding at once, but must not trust what it decoded before wait_verified() said true.
// The cache file is only ever replaced by rename, never rewritten in place; a mapped entry that
// someone with this user's rights truncates meanwhile would fault (SIGBUS) when touched.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <vector>

namespace vg {

using CacheKey = std::array<std::uint8_t, 32>;

// The cache file format (all integers little-endian):
//   0  8  magic "VXGCACHE"
//   8  4  format version (kCacheFormatVersion)
//  12  4  reserved, zero
//  16 32  key
//  48  8  payload length
//  56 32  payload SHA-256
//  88 40  zero (padding: the payload starts at a 64-byte-aligned offset, so a mapped payload is
//         64-byte aligned in memory)
// 128  -  payload
inline constexpr std::uint32_t kCacheFormatVersion = 2;
inline constexpr std::size_t kCacheHeaderSize = 128;
inline constexpr std::size_t kCachePayloadAlignment = 64;

// The header of a cache file holding `payload` under `key` (the payload follows it).
std::array<std::uint8_t, kCacheHeaderSize> make_cache_header(const CacheKey &key,
                                                             std::span<const std::uint8_t> payload);
// Builds the bytes of a cache file holding `payload` under `key`.
std::vector<std::uint8_t> make_cache_file(const CacheKey &key,
                                          std::span<const std::uint8_t> payload);
// Checks a cache file's bytes against `key` and returns its payload; throws vg::Error(name, reason)
// for a wrong magic, version, key, length or digest.
std::span<const std::uint8_t> parse_cache_file(std::span<const std::uint8_t> bytes,
                                               const CacheKey &key, const std::string &name);

class CompiledCache {
public:
  using NoticeFn = std::function<void(const std::string &line)>;
  static constexpr std::uint64_t kDefaultMaxBytes = std::uint64_t{512} << 20;

  // Opens `dir`, creating it (and missing parents) with mode 0700. Throws vg::Error(dir, reason)
  // if it cannot be made or is unsafe: not a directory, not owned by this user, or writable by
  // group or others. Notices go to `notice` (default: standard error).
  explicit CompiledCache(std::filesystem::path dir, std::uint64_t max_bytes = kDefaultMaxBytes,
                         NoticeFn notice = {});
  CompiledCache(const CompiledCache &) = delete;
  CompiledCache &operator=(const CompiledCache &) = delete;
  ~CompiledCache();

  // $VOXGUARD_CACHE_DIR, else $XDG_CACHE_HOME/voxguard, else $HOME/.cache/voxguard; for root
  // /var/cache/voxguard (after $VOXGUARD_CACHE_DIR). Empty if none applies (no HOME).
  static std::filesystem::path default_dir();

  class Entry {
  public:
    Entry() = default;
    Entry(Entry &&) noexcept = default; // the payload view stays valid: the buffer moves
    Entry &operator=(Entry &&) noexcept = default;
    Entry(const Entry &) = delete;
    Entry &operator=(const Entry &) = delete;
    std::span<const std::uint8_t> payload() const { return payload_; }

  private:
    friend class CompiledCache;
    // The whole file (read, not mapped: see load()); not zero-filled before the read.
    std::unique_ptr<std::uint8_t[]> bytes_;
    std::span<const std::uint8_t> payload_;
  };

  // The entry stored under `key`, checked as promised above; nullopt on a miss. A hit marks the
  // entry as recently used.
  std::optional<Entry> load(const CacheKey &key) const;

  // An entry mapped read-only whose payload digest is checked on a background thread.
  class MappedEntry {
  public:
    MappedEntry(const MappedEntry &) = delete;
    MappedEntry &operator=(const MappedEntry &) = delete;
    ~MappedEntry(); // waits for the check, then unmaps

    // The payload in place: 64-byte aligned, read-only, not checked until wait_verified().
    std::span<const std::uint8_t> payload() const { return payload_; }
    // Waits for the digest check. True if the payload is what the header recorded; false if not,
    // and the entry is then rejected in the cache (notice with the reason, file removed, counted
    // as rejected instead of hit) once, however often this is called. The cache that made the
    // entry must still exist at the first call.
    bool wait_verified();
    // Why wait_verified() said false (empty when it said true). Only after wait_verified(): the
    // check may still be writing it before.
    const std::string &failure() const { return failure_; }
    // Gives the whole pages inside `part` (a part of payload()) back to the kernel: they stop
    // counting in this process's memory and read back from the file if touched again.
    void release(std::span<const std::uint8_t> part) const noexcept;

  private:
    friend class CompiledCache;
    MappedEntry() = default;
    void verify() noexcept; // the background check: sets verified_ or failure_
    void check_digest();    // verify()'s work; may throw (allocation)

    const CompiledCache *cache_ = nullptr;
    CacheKey key_{};
    int fd_ = -1;
    void *map_ = nullptr;
    std::size_t map_size_ = 0;
    std::span<const std::uint8_t> payload_;
    std::array<std::uint8_t, 32> expected_{};
    std::thread checker_;
    bool verified_ = false;
    bool settled_ = false; // wait_verified() has run and acted on the outcome
    std::string failure_;
  };
  // The entry stored under `key` mapped, with the checks load() makes except the payload digest,
  // which is started on a background thread (MappedEntry::wait_verified); nullptr on a miss (a
  // refused file is a miss with its notice, as in load()). A hit marks the entry recently used.
  std::shared_ptr<MappedEntry> load_mapped(const CacheKey &key) const;
  // Stores `payload` under `key` (replacing any entry), then evicts beyond the bound.
  void store(const CacheKey &key, std::span<const std::uint8_t> payload) const;
  // The caller found the payload load() gave for `key` unusable: notice with `reason`, entry
  // removed, counted as rejected instead of hit.
  void reject(const CacheKey &key, const std::string &reason) const;

  const std::filesystem::path &dir() const { return dir_; }
  std::uint64_t max_bytes() const { return max_bytes_; }
  std::filesystem::path path_for(const CacheKey &key) const;

  struct Stats {
    std::uint64_t hits = 0, misses = 0, rejected = 0, stored = 0, evicted = 0;
  };
  Stats stats() const;

private:
  void note(const std::string &file, const std::string &reason) const;
  // Opens the entry for `key` and checks the file (regular, owned, mode): the descriptor, or -1
  // for a miss (counted, with its notice if the file was refused).
  int open_entry(const CacheKey &key, struct stat &st) const;
  // A file refused for `reason`: notice, counted, removed.
  void refuse(const std::string &name, const std::string &reason) const;
  void evict() const;

  std::filesystem::path dir_;
  int dir_fd_ = -1;
  std::uint64_t max_bytes_;
  NoticeFn notice_;
  mutable std::atomic<std::uint64_t> hits_{0}, misses_{0}, rejected_{0}, stored_{0}, evicted_{0};
  mutable std::atomic<std::uint64_t> temp_serial_{0};
};

// The process-wide cache used by the matchers the engine compiles (nullptr: no caching, the
// default).
void set_compiled_cache(std::shared_ptr<const CompiledCache> cache);
std::shared_ptr<const CompiledCache> compiled_cache();

// What the command line asks for: caching on (in `dir`, or the default location) or off.
struct CompiledCacheSettings {
  bool enabled = true;
  std::filesystem::path dir; // empty: CompiledCache::default_dir()
  std::uint64_t max_bytes = CompiledCache::kDefaultMaxBytes;
};
// Installs the process-wide cache as `settings` say. An explicitly given directory that cannot be
// used throws vg::Error naming it; the default location that cannot be used gives one warning
// through `warn` and leaves caching off.
void install_compiled_cache(const CompiledCacheSettings &settings,
                            const CompiledCache::NoticeFn &warn = {});

} // namespace vg
