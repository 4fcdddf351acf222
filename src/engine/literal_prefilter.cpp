#include "engine/literal_prefilter.hpp"

#include <hs/hs.h>

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>

namespace vg {

void LiteralPrefilter::DbFree::operator()(hs_database *db) const {
  hs_free_database(db);
}

LiteralPrefilter::LiteralPrefilter(const std::vector<std::vector<std::uint8_t>> &literals,
                                   const std::vector<bool> &caseless) {
  if (literals.empty())
    return;
  std::vector<const char *> exprs;
  std::vector<std::size_t> lens;
  std::vector<unsigned> flags(literals.size(), 0), ids;
  for (std::size_t i = 0; i < literals.size(); ++i) {
    if (literals[i].empty())
      throw std::runtime_error("empty literal given to the prefilter");
    exprs.push_back(reinterpret_cast<const char *>(literals[i].data()));
    lens.push_back(literals[i].size());
    ids.push_back(static_cast<unsigned>(i));
    // Caseless only matters for letters; Vectorscan compiles caseless literals far more slowly.
    if (i < caseless.size() && caseless[i] &&
        std::any_of(literals[i].begin(), literals[i].end(), [](std::uint8_t b) {
          return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z');
        }))
      flags[i] = HS_FLAG_CASELESS;
    lengths_.push_back(static_cast<std::uint32_t>(literals[i].size()));
    max_length_ = std::max(max_length_, literals[i].size());
  }
  hs_database_t *db = nullptr;
  hs_compile_error_t *err = nullptr;
  if (hs_compile_lit_multi(exprs.data(), flags.data(), ids.data(), lens.data(),
                           static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK, nullptr, &db,
                           &err) != HS_SUCCESS) {
    std::string msg = err && err->message ? err->message : "unknown error";
    hs_free_compile_error(err);
    throw std::runtime_error("Vectorscan refused the atom set: " + msg);
  }
  db_.reset(db);
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
  constexpr std::size_t kBlock = std::size_t{4} << 20;
  constexpr std::size_t kLookBack = std::size_t{1} << 20; // verification usually looks back less
  std::size_t released = 0;
  std::size_t overlap = max_length_ > 0 ? max_length_ - 1 : 0;
  Ctx ctx{&cb, &lengths_, 0, 0};
  for (std::size_t off = 0; off < data.size();) {
    std::size_t n = std::min(kBlock, data.size() - off);
    ctx.base = off;
    hs_error_t rc = hs_scan(db_.get(), reinterpret_cast<const char *>(data.data() + off),
                            static_cast<unsigned>(n), 0, scratch.s_, on_match, &ctx);
    if (rc == HS_SCAN_TERMINATED)
      return;
    if (rc != HS_SUCCESS)
      throw std::runtime_error("Vectorscan scan failed (" + std::to_string(rc) + ")");
    if (off + n >= data.size())
      break;
    if (release && off > kLookBack && off - kLookBack > released) {
      release(released, off - kLookBack);
      released = off - kLookBack;
    }
    ctx.min_end = off + n;
    off = off + n - overlap;
  }
}

} // namespace vg
