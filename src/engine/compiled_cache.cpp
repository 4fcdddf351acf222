#include "engine/compiled_cache.hpp"

#include "common/digest.hpp"
#include "common/error.hpp"
#include "common/hex.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <mutex>
#include <sys/stat.h>
#include <unistd.h>

namespace vg {

namespace {

constexpr char kMagic[8] = {'V', 'X', 'G', 'C', 'A', 'C', 'H', 'E'};
constexpr const char *kSuffix = ".hsdb";
// A temporary file older than this was left by a writer that died; eviction removes it.
constexpr time_t kStaleTempSeconds = 3600;

void put_le(std::span<std::uint8_t> out, std::size_t at, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (8 * i));
}

std::uint64_t get_le(std::span<const std::uint8_t> in, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v |= std::uint64_t{in[at + static_cast<std::size_t>(i)]} << (8 * i);
  return v;
}

std::array<std::uint8_t, 32> sha256_of(std::span<const std::uint8_t> bytes) {
  Digests d = digest_bytes(bytes, hash_bit(HashAlgo::sha256));
  std::array<std::uint8_t, 32> out{};
  std::copy_n(d.sha256->b.begin(), out.size(), out.begin());
  return out;
}

std::string errno_text(int err) {
  return std::strerror(err);
}

std::string file_name_for(const CacheKey &key) {
  return hex_encode(key) + kSuffix;
}

bool is_entry_name(std::string_view name) {
  if (name.size() != 64 + std::strlen(kSuffix) || !name.ends_with(kSuffix))
    return false;
  return std::all_of(name.begin(), name.begin() + 64, [](char c) { return hex_value(c) >= 0; });
}

// Why a file or directory with this status must not be trusted, or empty if it may.
std::string unsafe_reason(const struct stat &st) {
  if (st.st_uid != ::geteuid())
    return "owned by uid " + std::to_string(st.st_uid) + ", not by this user (uid " +
           std::to_string(::geteuid()) + ")";
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    return "writable by group or others (mode " + std::to_string((st.st_mode >> 6) & 7) +
           std::to_string((st.st_mode >> 3) & 7) + std::to_string(st.st_mode & 7) + ")";
  return {};
}

bool write_all(int fd, std::span<const std::uint8_t> bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
  return true;
}

std::mutex g_cache_mutex;
std::shared_ptr<const CompiledCache> g_cache;

} // namespace

std::array<std::uint8_t, kCacheHeaderSize>
make_cache_header(const CacheKey &key, std::span<const std::uint8_t> payload) {
  std::array<std::uint8_t, kCacheHeaderSize> head{};
  std::memcpy(head.data(), kMagic, sizeof kMagic);
  put_le(head, 8, kCacheFormatVersion, 4);
  put_le(head, 12, 0, 4);
  std::memcpy(head.data() + 16, key.data(), key.size());
  put_le(head, 48, payload.size(), 8);
  auto digest = sha256_of(payload);
  std::memcpy(head.data() + 56, digest.data(), digest.size());
  return head;
}

std::vector<std::uint8_t> make_cache_file(const CacheKey &key,
                                          std::span<const std::uint8_t> payload) {
  auto head = make_cache_header(key, payload);
  std::vector<std::uint8_t> out(kCacheHeaderSize + payload.size());
  std::memcpy(out.data(), head.data(), head.size());
  if (!payload.empty())
    std::memcpy(out.data() + kCacheHeaderSize, payload.data(), payload.size());
  return out;
}

std::span<const std::uint8_t> parse_cache_file(std::span<const std::uint8_t> bytes,
                                               const CacheKey &key, const std::string &name) {
  if (bytes.size() < kCacheHeaderSize)
    throw Error(name, "truncated header (" + std::to_string(bytes.size()) + " bytes, a header is " +
                          std::to_string(kCacheHeaderSize) + ")");
  if (!std::equal(std::begin(kMagic), std::end(kMagic), bytes.begin()))
    throw Error(name, "not a voxguard cache file (bad magic)");
  if (auto v = get_le(bytes, 8, 4); v != kCacheFormatVersion)
    throw Error(name, "cache format version " + std::to_string(v) + ", this build reads " +
                          std::to_string(kCacheFormatVersion));
  if (get_le(bytes, 12, 4) != 0)
    throw Error(name, "reserved header field is not zero");
  if (!std::equal(key.begin(), key.end(), bytes.begin() + 16))
    throw Error(name,
                "header key " + hex_encode(bytes.subspan(16, 32)) + " is not the key looked up");
  std::uint64_t length = get_le(bytes, 48, 8);
  auto payload = bytes.subspan(kCacheHeaderSize);
  if (length != payload.size())
    throw Error(name, "payload length " + std::to_string(length) + " in the header, " +
                          std::to_string(payload.size()) + " bytes in the file (truncated?)");
  auto digest = sha256_of(payload);
  if (!std::equal(digest.begin(), digest.end(), bytes.begin() + 56))
    throw Error(name, "payload SHA-256 does not match the header (corrupted)");
  return payload;
}

CompiledCache::CompiledCache(std::filesystem::path dir, std::uint64_t max_bytes, NoticeFn notice)
    : dir_(std::move(dir)), max_bytes_(max_bytes), notice_(std::move(notice)) {
  if (dir_.empty())
    throw Error("", "empty cache directory name");
  // Create the missing components one by one, each 0700 (the XDG base directory rule).
  std::filesystem::path prefix;
  for (const auto &part : dir_) {
    prefix /= part;
    if (::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST)
      throw Error(dir_.string(), "cannot create " + prefix.string() + ": " + errno_text(errno));
  }
  dir_fd_ = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd_ < 0)
    throw Error(dir_.string(), "cannot open the cache directory: " + errno_text(errno));
  struct stat st {};
  std::string why;
  if (::fstat(dir_fd_, &st) != 0)
    why = "cannot stat the cache directory: " + errno_text(errno);
  else if (auto r = unsafe_reason(st); !r.empty())
    why = "unsafe cache directory: " + r;
  if (!why.empty()) {
    ::close(dir_fd_);
    dir_fd_ = -1;
    throw Error(dir_.string(), why);
  }
}

CompiledCache::~CompiledCache() {
  if (dir_fd_ >= 0)
    ::close(dir_fd_);
}

std::filesystem::path CompiledCache::default_dir() {
  auto env = [](const char *name) -> std::string {
    const char *v = std::getenv(name);
    return v ? v : "";
  };
  if (auto d = env("VOXGUARD_CACHE_DIR"); !d.empty())
    return d;
  if (::geteuid() == 0)
    return "/var/cache/voxguard";
  // The XDG base directory specification ignores a relative $XDG_CACHE_HOME.
  if (auto x = env("XDG_CACHE_HOME"); !x.empty() && x.front() == '/')
    return std::filesystem::path(x) / "voxguard";
  if (auto h = env("HOME"); !h.empty())
    return std::filesystem::path(h) / ".cache" / "voxguard";
  return {};
}

std::filesystem::path CompiledCache::path_for(const CacheKey &key) const {
  return dir_ / file_name_for(key);
}

void CompiledCache::note(const std::string &file, const std::string &reason) const {
  std::string line = "voxguard: compiled cache " + file + ": " + reason;
  if (notice_)
    notice_(line);
  else
    std::fprintf(stderr, "%s\n", line.c_str());
}

std::optional<CompiledCache::Entry> CompiledCache::load(const CacheKey &key) const {
  std::string name = file_name_for(key);
  std::string shown = (dir_ / name).string();
  auto reject_here = [&](const std::string &reason) -> std::optional<Entry> {
    note(shown, reason + "; building it again");
    ++rejected_;
    ::unlinkat(dir_fd_, name.c_str(), 0);
    return std::nullopt;
  };
  int fd = ::openat(dir_fd_, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) {
      ++misses_;
      return std::nullopt;
    }
    return reject_here(err == ELOOP ? "is a symbolic link" : "cannot open: " + errno_text(err));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    return reject_here("cannot stat: " + errno_text(errno));
  if (!S_ISREG(st.st_mode))
    return reject_here("not a regular file");
  if (auto r = unsafe_reason(st); !r.empty())
    return reject_here("untrusted file: " + r);
  // Read, not mapped: a mapping of a file someone truncates meanwhile would fault (SIGBUS).
  Entry e;
  const auto size = static_cast<std::size_t>(st.st_size);
  e.bytes_ = std::make_unique_for_overwrite<std::uint8_t[]>(size);
  std::size_t got = 0;
  while (got < size) {
    ssize_t n = ::pread(fd, e.bytes_.get() + got, size - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return reject_here("cannot read: " + errno_text(errno));
    if (n == 0)
      break;
    got += static_cast<std::size_t>(n);
  }
  try {
    e.payload_ = parse_cache_file({e.bytes_.get(), got}, key, shown);
  } catch (const Error &err) {
    return reject_here(err.reason());
  }
  // Least recently used is judged by the modification time: access times are often not kept.
  ::futimens(fd, nullptr);
  ++hits_;
  return e;
}

void CompiledCache::store(const CacheKey &key, std::span<const std::uint8_t> payload) const {
  std::string name = file_name_for(key);
  std::string shown = (dir_ / name).string();
  if (kCacheHeaderSize + payload.size() > max_bytes_) {
    note(shown, "an entry of " + std::to_string(kCacheHeaderSize + payload.size()) +
                    " bytes is larger than the cache bound (" + std::to_string(max_bytes_) +
                    " bytes); not stored");
    return;
  }
  std::string temp = "." + name + ".tmp." + std::to_string(::getpid()) + "." +
                     std::to_string(temp_serial_.fetch_add(1));
  int fd =
      ::openat(dir_fd_, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    note(shown, "cannot write: " + errno_text(errno) + "; not stored");
    return;
  }
  // Header and payload written separately: no second copy of a large payload in memory.
  auto head = make_cache_header(key, payload);
  bool ok = write_all(fd, head) && write_all(fd, payload);
  int err = ok ? 0 : errno;
  if (::close(fd) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (ok && ::renameat(dir_fd_, temp.c_str(), dir_fd_, name.c_str()) != 0) {
    ok = false;
    err = errno;
  }
  if (!ok) {
    ::unlinkat(dir_fd_, temp.c_str(), 0);
    note(shown, "cannot write: " + errno_text(err) + "; not stored");
    return;
  }
  ++stored_;
  evict();
}

void CompiledCache::reject(const CacheKey &key, const std::string &reason) const {
  note(path_for(key).string(), reason + "; building it again");
  // load() counted the entry as a hit; it turned out unusable.
  if (hits_.load() > 0)
    --hits_;
  ++rejected_;
  ::unlinkat(dir_fd_, file_name_for(key).c_str(), 0);
}

void CompiledCache::evict() const {
  int fd = ::dup(dir_fd_);
  if (fd < 0)
    return;
  DIR *d = ::fdopendir(fd);
  if (!d) {
    ::close(fd);
    return;
  }
  ::rewinddir(d);
  struct Item {
    struct timespec used;
    std::uint64_t size;
    std::string name;
  };
  std::vector<Item> items;
  std::uint64_t total = 0;
  time_t now = ::time(nullptr);
  while (dirent *ent = ::readdir(d)) {
    std::string_view n = ent->d_name;
    bool entry = is_entry_name(n);
    bool temp = !entry && n.starts_with('.') && n.find(".tmp.") != std::string_view::npos;
    if (!entry && !temp)
      continue;
    struct stat st {};
    if (::fstatat(dir_fd_, ent->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
      continue;
    if (temp) {
      if (now - st.st_mtim.tv_sec > kStaleTempSeconds)
        ::unlinkat(dir_fd_, ent->d_name, 0);
      continue;
    }
    items.push_back({st.st_mtim, static_cast<std::uint64_t>(st.st_size), std::string(n)});
    total += static_cast<std::uint64_t>(st.st_size);
  }
  ::closedir(d);
  std::sort(items.begin(), items.end(), [](const Item &a, const Item &b) {
    return a.used.tv_sec != b.used.tv_sec ? a.used.tv_sec < b.used.tv_sec
                                          : a.used.tv_nsec < b.used.tv_nsec;
  });
  for (const Item &it : items) {
    if (total <= max_bytes_)
      break;
    if (::unlinkat(dir_fd_, it.name.c_str(), 0) == 0) {
      total -= it.size;
      ++evicted_;
    }
  }
}

CompiledCache::Stats CompiledCache::stats() const {
  return Stats{hits_.load(), misses_.load(), rejected_.load(), stored_.load(), evicted_.load()};
}

void set_compiled_cache(std::shared_ptr<const CompiledCache> cache) {
  std::lock_guard lock(g_cache_mutex);
  g_cache = std::move(cache);
}

std::shared_ptr<const CompiledCache> compiled_cache() {
  std::lock_guard lock(g_cache_mutex);
  return g_cache;
}

void install_compiled_cache(const CompiledCacheSettings &settings,
                            const CompiledCache::NoticeFn &warn) {
  set_compiled_cache(nullptr);
  if (!settings.enabled)
    return;
  auto say = [&](const std::string &line) {
    if (warn)
      warn(line);
    else
      std::fprintf(stderr, "%s\n", line.c_str());
  };
  std::filesystem::path dir = settings.dir.empty() ? CompiledCache::default_dir() : settings.dir;
  if (dir.empty()) {
    say("voxguard: no cache directory ($VOXGUARD_CACHE_DIR, $XDG_CACHE_HOME and $HOME are unset); "
        "compiled databases are not cached");
    return;
  }
  try {
    set_compiled_cache(std::make_shared<const CompiledCache>(dir, settings.max_bytes, warn));
  } catch (const Error &e) {
    if (!settings.dir.empty())
      throw;
    say(std::string("voxguard: ") + e.what() + "; compiled databases are not cached");
  }
}

} // namespace vg
