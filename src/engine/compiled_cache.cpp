#include "engine/compiled_cache.hpp"

#include "common/digest.hpp"
#include "common/error.hpp"
#include "common/hex.hpp"
#include "common/mapped_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <mutex>
#include <openssl/evp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <system_error>
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

// Writes in pieces of 64 KiB: the page cache then holds the file in small folios, and a process
// that maps it later gets about 64 KiB mapped per page it touches (fault-around). One large write
// makes folios of up to 2 MiB on recent kernels (ext4, 6.18), each mapped whole on first touch:
// the warm full database then kept ~8 MB more of the signature snapshot resident during a scan.
bool write_all(int fd, std::span<const std::uint8_t> bytes) {
  constexpr std::size_t kPiece = std::size_t{64} << 10;
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), std::min(bytes.size(), kPiece));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
  return true;
}

constexpr const char *kDigestMismatch = "payload SHA-256 does not match the header (corrupted)";

// Checks the header of a cache file of `file_size` bytes (`head` is its first kCacheHeaderSize
// bytes, or all of a shorter file) against `key`; throws vg::Error(name, reason).
void check_cache_header(std::span<const std::uint8_t> head, std::uint64_t file_size,
                        const CacheKey &key, const std::string &name) {
  if (head.size() < kCacheHeaderSize)
    throw Error(name, "truncated header (" + std::to_string(head.size()) + " bytes, a header is " +
                          std::to_string(kCacheHeaderSize) + ")");
  if (!std::equal(std::begin(kMagic), std::end(kMagic), head.begin()))
    throw Error(name, "not a voxguard cache file (bad magic)");
  if (auto v = get_le(head, 8, 4); v != kCacheFormatVersion)
    throw Error(name, "cache format version " + std::to_string(v) + ", this build reads " +
                          std::to_string(kCacheFormatVersion));
  if (get_le(head, 12, 4) != 0 ||
      std::any_of(head.begin() + 88, head.begin() + kCacheHeaderSize, [](auto b) { return b; }))
    throw Error(name, "reserved header field is not zero");
  if (!std::equal(key.begin(), key.end(), head.begin() + 16))
    throw Error(name,
                "header key " + hex_encode(head.subspan(16, 32)) + " is not the key looked up");
  std::uint64_t length = get_le(head, 48, 8);
  if (length != file_size - kCacheHeaderSize)
    throw Error(name, "payload length " + std::to_string(length) + " in the header, " +
                          std::to_string(file_size - kCacheHeaderSize) +
                          " bytes in the file (truncated?)");
}

// Reads exactly out.size() bytes at `offset`; false on an error or a short file.
bool pread_all(int fd, std::span<std::uint8_t> out, std::uint64_t offset) {
  std::size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::pread(fd, out.data() + got, out.size() - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR)
      continue;
    if (n == 0)
      errno = 0; // end of file: a short file, not an error of the call
    if (n <= 0)
      return false;
    got += static_cast<std::size_t>(n);
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
  static_assert(kCacheHeaderSize % kCachePayloadAlignment == 0);
  return head; // bytes 88 on stay zero
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
  check_cache_header(bytes.first(std::min(bytes.size(), kCacheHeaderSize)), bytes.size(), key,
                     name);
  auto payload = bytes.subspan(kCacheHeaderSize);
  auto digest = sha256_of(payload);
  if (!std::equal(digest.begin(), digest.end(), bytes.begin() + 56))
    throw Error(name, kDigestMismatch);
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

void CompiledCache::refuse(const std::string &name, const std::string &reason) const {
  note((dir_ / name).string(), reason + "; building it again");
  ++rejected_;
  ::unlinkat(dir_fd_, name.c_str(), 0);
}

int CompiledCache::open_entry(const CacheKey &key, struct stat &st) const {
  std::string name = file_name_for(key);
  int fd = ::openat(dir_fd_, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT)
      ++misses_;
    else
      refuse(name, err == ELOOP ? "is a symbolic link" : "cannot open: " + errno_text(err));
    return -1;
  }
  std::string why;
  if (::fstat(fd, &st) != 0)
    why = "cannot stat: " + errno_text(errno);
  else if (!S_ISREG(st.st_mode))
    why = "not a regular file";
  else if (auto r = unsafe_reason(st); !r.empty())
    why = "untrusted file: " + r;
  if (!why.empty()) {
    ::close(fd);
    refuse(name, why);
    return -1;
  }
  return fd;
}

std::optional<CompiledCache::Entry> CompiledCache::load(const CacheKey &key) const {
  struct stat st {};
  int fd = open_entry(key, st);
  if (fd < 0)
    return std::nullopt;
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  const std::string name = file_name_for(key);
  // Read, not mapped: the whole payload is checked before the caller sees it.
  Entry e;
  const auto size = static_cast<std::size_t>(st.st_size);
  e.bytes_ = std::make_unique_for_overwrite<std::uint8_t[]>(size);
  if (!pread_all(fd, {e.bytes_.get(), size}, 0)) {
    refuse(name, "cannot read " + std::to_string(size) + " bytes (truncated meanwhile?)");
    return std::nullopt;
  }
  try {
    e.payload_ = parse_cache_file({e.bytes_.get(), size}, key, (dir_ / name).string());
  } catch (const Error &err) {
    refuse(name, err.reason());
    return std::nullopt;
  }
  // Least recently used is judged by the modification time: access times are often not kept.
  ::futimens(fd, nullptr);
  ++hits_;
  return e;
}

std::shared_ptr<CompiledCache::MappedEntry> CompiledCache::load_mapped(const CacheKey &key) const {
  struct stat st {};
  int fd = open_entry(key, st);
  if (fd < 0)
    return nullptr;
  const std::string name = file_name_for(key);
  std::shared_ptr<MappedEntry> e(new MappedEntry());
  e->fd_ = fd; // closed by the entry from here on
  e->cache_ = this;
  e->key_ = key;
  const auto size = static_cast<std::uint64_t>(st.st_size);
  std::array<std::uint8_t, kCacheHeaderSize> head{};
  const std::size_t head_size =
      static_cast<std::size_t>(std::min<std::uint64_t>(size, head.size()));
  if (!pread_all(fd, std::span(head).first(head_size), 0)) {
    refuse(name, "cannot read the header: " + errno_text(errno));
    return nullptr;
  }
  try {
    check_cache_header(std::span(head).first(head_size), size, key, (dir_ / name).string());
  } catch (const Error &err) {
    refuse(name, err.reason());
    return nullptr;
  }
  std::copy_n(head.begin() + 56, e->expected_.size(), e->expected_.begin());
  void *map = ::mmap(nullptr, static_cast<std::size_t>(size), PROT_READ, MAP_PRIVATE, fd, 0);
  if (map == MAP_FAILED) {
    refuse(name, "cannot map: " + errno_text(errno));
    return nullptr;
  }
  ::madvise(map, static_cast<std::size_t>(size), MADV_RANDOM); // no readahead (see check_digest)
  e->map_ = map;
  e->map_size_ = static_cast<std::size_t>(size);
  e->payload_ = {static_cast<const std::uint8_t *>(map) + kCacheHeaderSize,
                 static_cast<std::size_t>(size) - kCacheHeaderSize};
  try {
    e->checker_ = std::thread([raw = e.get()] { raw->verify(); });
  } catch (const std::exception &) {
    e->verify(); // no thread to be had: check here and now
  }
  ::futimens(fd, nullptr);
  ++hits_;
  return e;
}

void CompiledCache::MappedEntry::verify() noexcept {
  try {
    check_digest();
  } catch (const std::exception &e) { // bad_alloc: the entry is then not trusted
    verified_ = false;
    failure_.clear(); // may have been mid-assignment
    try {
      failure_ = std::string("cannot check the payload: ") + e.what();
    } catch (...) {
    }
  }
}

void CompiledCache::MappedEntry::check_digest() {
  constexpr std::size_t kChunk = std::size_t{256} << 10;
  struct CtxFree {
    void operator()(EVP_MD_CTX *c) const { EVP_MD_CTX_free(c); }
  };
  std::unique_ptr<EVP_MD_CTX, CtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    failure_ = "cannot compute SHA-256 (OpenSSL)";
    return;
  }
  // Read through a small buffer, not through the mapping: checking must not make the payload
  // resident in this process. Without readahead: a file read cold (after a reboot) would
  // otherwise come into the page cache as large folios, which the mapping then maps whole (see
  // write_all).
  ::posix_fadvise(fd_, 0, 0, POSIX_FADV_RANDOM);
  std::vector<std::uint8_t> buf(std::min(kChunk, std::max<std::size_t>(payload_.size(), 1)));
  for (std::size_t done = 0; done < payload_.size();) {
    const std::size_t n = std::min(buf.size(), payload_.size() - done);
    if (!pread_all(fd_, std::span(buf).first(n), kCacheHeaderSize + done)) {
      failure_ = "cannot read the payload to check it: " +
                 (errno ? errno_text(errno) : std::string("file shorter than its header says"));
      return;
    }
    EVP_DigestUpdate(ctx.get(), buf.data(), n);
    done += n;
  }
  std::array<std::uint8_t, 32> got{};
  unsigned len = 0;
  EVP_DigestFinal_ex(ctx.get(), got.data(), &len);
  if (got != expected_) {
    failure_ = kDigestMismatch;
    return;
  }
  verified_ = true;
}

bool CompiledCache::MappedEntry::wait_verified() {
  if (checker_.joinable())
    checker_.join();
  if (fd_ >= 0) { // the check was its last use: an entry kept for years holds the mapping only
    ::close(fd_);
    fd_ = -1;
  }
  if (!settled_) {
    settled_ = true;
    if (!verified_ && cache_)
      cache_->reject(key_, failure_);
  }
  return verified_;
}

void CompiledCache::MappedEntry::release(std::span<const std::uint8_t> part) const noexcept {
  // `part` may reach beyond the payload (a caller rounding to folios): only the payload's pages.
  const auto at = [](const std::uint8_t *p) { return reinterpret_cast<std::uintptr_t>(p); };
  const auto lo = std::max(at(part.data()), at(payload_.data()));
  const auto hi = std::min(at(part.data()) + part.size(), at(payload_.data()) + payload_.size());
  if (lo < hi)
    release_whole_pages({payload_.data() + (lo - at(payload_.data())), hi - lo});
}

CompiledCache::MappedEntry::~MappedEntry() {
  if (checker_.joinable())
    checker_.join();
  if (map_)
    ::munmap(map_, map_size_);
  if (fd_ >= 0)
    ::close(fd_);
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
  // load() or load_mapped() counted the entry as a hit; it turned out unusable.
  if (hits_.load() > 0)
    --hits_;
  refuse(file_name_for(key), reason);
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
