#include "engine/literal_prefilter.hpp"

#include "common/digest.hpp"
#include "engine/compiled_cache.hpp"

#include <hs/hs.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>

namespace vg {

namespace {

constexpr unsigned kMode = HS_MODE_BLOCK;

void put_u64(std::vector<std::uint8_t> &out, std::uint64_t v) {
  std::uint8_t le[8];
  for (int i = 0; i < 8; ++i)
    le[i] = static_cast<std::uint8_t>(v >> (8 * i));
  out.insert(out.end(), le, le + 8);
}

// The cache key: SHA-256 over everything hs_compile_lit_multi is given (the literals in order,
// their flags and ids, the mode, the target platform) and the Vectorscan version that compiles.
CacheKey prefilter_key(const LiteralList &literals, const std::vector<unsigned> &flags,
                       const std::vector<unsigned> &ids, const hs_platform_info_t &platform) {
  std::vector<std::uint8_t> material;
  material.reserve(256 + 24 * literals.size() + literals.total_bytes());
  auto put_text = [&](const char *text) {
    put_u64(material, std::strlen(text));
    material.insert(material.end(), text, text + std::strlen(text));
  };
  // "in-memory image": the payload is the database as it lies in memory, not its serialised form
  // (which earlier builds stored under the key without these words).
  put_text("voxguard literal prefilter, hs_compile_lit_multi, in-memory image");
  put_text(hs_version());
  put_u64(material, platform.tune);
  put_u64(material, platform.cpu_features);
  put_u64(material, platform.reserved1);
  put_u64(material, platform.reserved2);
  put_u64(material, kMode);
  put_u64(material, literals.size());
  for (std::size_t i = 0; i < literals.size(); ++i) {
    put_u64(material, ids[i]);
    put_u64(material, flags[i]);
    const std::span<const std::uint8_t> literal = literals[i];
    put_u64(material, literal.size());
    material.insert(material.end(), literal.begin(), literal.end());
  }
  Digests d = digest_bytes(material, hash_bit(HashAlgo::sha256));
  CacheKey key{};
  std::copy_n(d.sha256->b.begin(), key.size(), key.begin());
  return key;
}

// The version this library writes into a database header: major << 24 | minor << 16 | patch << 8.
std::string header_version_text(std::span<const std::uint8_t> at4) {
  return std::to_string(at4[3]) + "." + std::to_string(at4[2]) + "." + std::to_string(at4[1]);
}

// The database image lying at `payload` (a verified cache payload), or nullptr with the reason it
// cannot be used in place.
const hs_database_t *database_in_place(std::span<const std::uint8_t> payload, std::string &why) {
  // hs_version() is "X.Y.Z DATE"; a database describes itself as "Version: X.Y.Z Features: ..
  // Mode: ..".
  std::string version = hs_version();
  version = version.substr(0, version.find(' '));
  // The fixed header of an image (magic, version, length, platform, CRC, bytecode offset, padding)
  // is 128 bytes at most; a shorter payload cannot be one.
  constexpr std::size_t kMinImage = 128;
  if (payload.size() < kMinImage) {
    why = "the payload is not a Vectorscan database image (" + std::to_string(payload.size()) +
          " bytes)";
    return nullptr;
  }
  // The image keeps its bytecode at a 64-byte-aligned address: it was made at a 64-byte-aligned
  // address and is only valid at one.
  if (reinterpret_cast<std::uintptr_t>(payload.data()) % kCachePayloadAlignment != 0) {
    why = "the database image is not 64-byte aligned in memory";
    return nullptr;
  }
  const auto *db = reinterpret_cast<const hs_database_t *>(payload.data());
  std::size_t size = 0;
  hs_error_t rc = hs_database_size(db, &size);
  if (rc == HS_DB_VERSION_ERROR) {
    why = "database compiled by another Vectorscan (" + header_version_text(payload.subspan(4)) +
          "), this is " + version;
    return nullptr;
  }
  if (rc != HS_SUCCESS || size != payload.size()) {
    why = "the payload is not a Vectorscan database image (error " + std::to_string(rc) +
          ", size " + std::to_string(size) + " of " + std::to_string(payload.size()) + ")";
    return nullptr;
  }
  char *info = nullptr;
  if (hs_database_info(db, &info) != HS_SUCCESS || !info) {
    why = "Vectorscan cannot describe the database image";
    return nullptr;
  }
  std::string described = info;
  std::free(info);
  if (!described.starts_with("Version: " + version + " ")) {
    why = "database compiled by another Vectorscan (" + described + "), this is " + version;
    return nullptr;
  }
  if (!described.ends_with("Mode: BLOCK")) {
    why = "database is not a block-mode database (" + described + ")";
    return nullptr;
  }
  // The last check a scan makes (platform, bytecode): a scratch for it. A serialised database
  // passes the checks above but not this one.
  hs_scratch_t *probe = nullptr;
  if (hs_error_t s = hs_alloc_scratch(db, &probe); s != HS_SUCCESS) {
    why = "Vectorscan refuses the database image for scanning (error " + std::to_string(s) + ")";
    return nullptr;
  }
  hs_free_scratch(probe);
  return db;
}

// Stores the in-memory image of `db` under `key`: deserialised from its serialised form at a
// 64-byte-aligned address (hs_deserialize_database_at zero-fills it first, so the bytes are
// deterministic), which is where database_in_place() finds it again.
void store_image(const CompiledCache &cache, const CacheKey &key, const hs_database_t *db) {
  char *serial = nullptr;
  std::size_t serial_length = 0;
  if (hs_serialize_database(db, &serial, &serial_length) != HS_SUCCESS || !serial)
    return;
  std::unique_ptr<char, decltype(&std::free)> serial_owner(serial, &std::free);
  std::size_t size = 0;
  if (hs_serialized_database_size(serial, serial_length, &size) != HS_SUCCESS || size == 0)
    return;
  const std::size_t rounded =
      (size + kCachePayloadAlignment - 1) / kCachePayloadAlignment * kCachePayloadAlignment;
  std::unique_ptr<void, decltype(&std::free)> image(
      std::aligned_alloc(kCachePayloadAlignment, rounded), &std::free);
  if (!image || hs_deserialize_database_at(serial, serial_length,
                                           static_cast<hs_database_t *>(image.get())) != HS_SUCCESS)
    return;
  cache.store(key, {static_cast<const std::uint8_t *>(image.get()), size});
}

} // namespace

void LiteralPrefilter::DbFree::operator()(hs_database *db) const {
  hs_free_database(db);
}

void LiteralList::reserve(std::size_t literals, std::size_t bytes) {
  bytes_.reserve(bytes);
  ends_.reserve(literals);
  caseless_.reserve(literals);
}

void LiteralList::add(std::span<const std::uint8_t> literal, bool caseless) {
  if (literal.size() > std::numeric_limits<std::uint32_t>::max() - bytes_.size())
    throw std::length_error("prefilter literals exceed 4 GiB in all");
  bytes_.insert(bytes_.end(), literal.begin(), literal.end());
  ends_.push_back(static_cast<std::uint32_t>(bytes_.size()));
  caseless_.push_back(caseless);
}

LiteralPrefilter::LiteralPrefilter(const std::vector<std::vector<std::uint8_t>> &literals,
                                   const std::vector<bool> &caseless)
    : LiteralPrefilter([&] {
        LiteralList list;
        std::size_t bytes = 0;
        for (const auto &l : literals)
          bytes += l.size();
        list.reserve(literals.size(), bytes);
        for (std::size_t i = 0; i < literals.size(); ++i)
          list.add(literals[i], i < caseless.size() && caseless[i]);
        return list;
      }()) {}

namespace {
// Vectorscan's flags for each literal: caseless only matters for letters, and Vectorscan compiles
// caseless literals far more slowly.
std::vector<unsigned> literal_flags(const LiteralList &literals) {
  std::vector<unsigned> flags(literals.size(), 0);
  for (std::size_t i = 0; i < literals.size(); ++i) {
    const std::span<const std::uint8_t> literal = literals[i];
    if (literals.caseless(i) && std::any_of(literal.begin(), literal.end(), [](std::uint8_t b) {
          return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z');
        }))
      flags[i] = HS_FLAG_CASELESS;
  }
  return flags;
}

std::vector<unsigned> literal_ids(std::size_t n) {
  std::vector<unsigned> ids(n);
  for (std::size_t i = 0; i < n; ++i)
    ids[i] = static_cast<unsigned>(i);
  return ids;
}

hs_platform_info_t this_platform() {
  hs_platform_info_t platform{};
  if (hs_populate_platform(&platform) != HS_SUCCESS)
    throw std::runtime_error("Vectorscan could not describe this platform");
  return platform;
}
} // namespace

LiteralPrefilter::Lookup LiteralPrefilter::look_up(const LiteralList &literals) {
  Lookup l;
  auto cache = compiled_cache();
  if (literals.empty() || !cache)
    return l; // the constructor looks for itself
  l.done_ = true;
  l.key_ = prefilter_key(literals, literal_flags(literals), literal_ids(literals.size()),
                         this_platform());
  l.entry_ = cache->load_mapped(l.key_);
  return l;
}

LiteralPrefilter::LiteralPrefilter(const LiteralList &literals)
    : LiteralPrefilter(literals, Lookup{}) {}

LiteralPrefilter::LiteralPrefilter(const LiteralList &literals, Lookup lookup) {
  if (literals.empty())
    return;
  const std::size_t n = literals.size();
  std::vector<const char *> exprs(n);
  std::vector<std::size_t> lens(n);
  const std::vector<unsigned> flags = literal_flags(literals), ids = literal_ids(n);
  lengths_.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::span<const std::uint8_t> literal = literals[i];
    if (literal.empty())
      throw std::runtime_error("empty literal given to the prefilter (literal " +
                               std::to_string(i) + ")");
    exprs[i] = reinterpret_cast<const char *>(literal.data());
    lens[i] = literal.size();
    lengths_[i] = static_cast<std::uint32_t>(literal.size());
    max_length_ = std::max(max_length_, literal.size());
  }
  const hs_platform_info_t platform = this_platform();
  auto cache = compiled_cache();
  CacheKey key{};
  if (cache) {
    key = lookup.done_ ? lookup.key_ : prefilter_key(literals, flags, ids, platform);
    auto entry = lookup.done_ ? std::move(lookup.entry_) : cache->load_mapped(key);
    // Waited for at once: nothing of an entry reaches Vectorscan before its digest matched.
    if (entry && entry->wait_verified()) {
      std::string why;
      if (const hs_database_t *db = database_in_place(entry->payload(), why)) {
        drop_pages_ = [raw = entry.get()] { raw->release(raw->payload()); }; // db_ keeps *raw
        drop_pages_();
        db_ = std::shared_ptr<const hs_database>(std::move(entry), db);
        mapped_ = true;
        return;
      }
      cache->reject(key, why);
    }
  }
  hs_database_t *db = nullptr;
  hs_compile_error_t *err = nullptr;
  if (hs_compile_lit_multi(exprs.data(), flags.data(), ids.data(), lens.data(),
                           static_cast<unsigned>(exprs.size()), kMode, &platform, &db,
                           &err) != HS_SUCCESS) {
    std::string msg = err && err->message ? err->message : "unknown error";
    hs_free_compile_error(err);
    throw std::runtime_error("Vectorscan refused the atom set: " + msg);
  }
  db_ = std::shared_ptr<const hs_database>(db, DbFree{});
  if (cache)
    store_image(*cache, key, db);
}

LiteralPrefilter::Scratch &LiteralPrefilter::Scratch::operator=(Scratch &&o) noexcept {
  if (this != &o) {
    if (s_)
      hs_free_scratch(s_);
    s_ = o.s_;
    o.s_ = nullptr;
  }
  return *this;
}

LiteralPrefilter::Scratch::~Scratch() {
  if (s_)
    hs_free_scratch(s_);
}

void LiteralPrefilter::Scratch::prepare(const LiteralPrefilter &p) {
  if (!p.db_)
    return;
  if (hs_alloc_scratch(p.db_.get(), &s_) != HS_SUCCESS)
    throw std::runtime_error("Vectorscan could not allocate scratch space");
  if (p.drop_pages_)
    p.drop_pages_();
}

namespace {
struct Ctx {
  const LiteralPrefilter::Callback *cb;
  const std::vector<std::uint32_t> *lengths;
  std::size_t base;
  std::size_t min_end; // ends at or below this were reported by the previous block
};

int on_match(unsigned id, unsigned long long, unsigned long long to, unsigned, void *p) {
  auto *c = static_cast<Ctx *>(p);
  std::size_t end = c->base + static_cast<std::size_t>(to);
  if (end <= c->min_end)
    return 0;
  return (*c->cb)(id, end - (*c->lengths)[id]) ? 0 : 1;
}
} // namespace

void LiteralPrefilter::scan(std::span<const std::uint8_t> data, Scratch &scratch,
                            const Callback &cb,
                            const std::function<void(std::size_t, std::size_t)> &release) const {
  if (!db_ || data.empty())
    return;
  // Blocks of 1 MiB (at least twice the longest literal, so that every block moves on): a
  // released file keeps about a block and the look-back resident.
  const std::size_t block = std::max(std::size_t{1} << 20, 2 * max_length_);
  constexpr std::size_t kLookBack = std::size_t{256} << 10; // verification usually looks back less
  std::size_t released = 0;
  std::size_t overlap = max_length_ > 0 ? max_length_ - 1 : 0;
  Ctx ctx{&cb, &lengths_, 0, 0};
  for (std::size_t off = 0; off < data.size();) {
    if (release && off > kLookBack && off - kLookBack > released) {
      release(released, off - kLookBack);
      released = off - kLookBack;
    }
    std::size_t n = std::min(block, data.size() - off);
    ctx.base = off;
    hs_error_t rc = hs_scan(db_.get(), reinterpret_cast<const char *>(data.data() + off),
                            static_cast<unsigned>(n), 0, scratch.s_, on_match, &ctx);
    if (rc == HS_SCAN_TERMINATED)
      return;
    if (rc != HS_SUCCESS)
      throw std::runtime_error("Vectorscan scan failed (" + std::to_string(rc) + ")");
    if (off + n >= data.size())
      break;
    ctx.min_end = off + n;
    off = off + n - overlap;
  }
}

} // namespace vg
