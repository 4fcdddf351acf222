// literal_prefilter.hpp — finds every occurrence of a set of exact byte strings (atoms) with
// Vectorscan. Promise: scan() reports each (literal id, start offset) occurrence in the buffer, in
// increasing end order, for buffers of any size (scanned in overlapping 4 MiB blocks, so a caller
// can release what lies behind). The compiled database is immutable and shared by threads; each
// thread brings its own Scratch. When a process-wide CompiledCache is set (compiled_cache.hpp), the
// compiled database is taken from it if an entry for exactly these literals, flags, platform and
// Vectorscan version is there and deserialises, else compiled and stored in it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

struct hs_database;
struct hs_scratch;

namespace vg {

class LiteralPrefilter {
public:
  LiteralPrefilter() = default;
  // Compiles the literals; ids in callbacks are indexes into `literals`. A literal whose `caseless`
  // flag is set (the vector may be shorter, or empty: unset) matches ASCII letters in either case
  // (HS_FLAG_CASELESS). Throws std::runtime_error if Vectorscan refuses them.
  explicit LiteralPrefilter(const std::vector<std::vector<std::uint8_t>> &literals,
                            const std::vector<bool> &caseless = {});
  LiteralPrefilter(LiteralPrefilter &&) noexcept = default;
  LiteralPrefilter &operator=(LiteralPrefilter &&) noexcept = default;

  class Scratch {
  public:
    Scratch() = default;
    Scratch(Scratch &&o) noexcept : s_(o.s_) { o.s_ = nullptr; }
    Scratch &operator=(Scratch &&o) noexcept;
    ~Scratch();
    void prepare(const LiteralPrefilter &p); // grows the scratch so it serves p as well
  private:
    friend class LiteralPrefilter;
    hs_scratch *s_ = nullptr;
  };

  // Return false from the callback to stop scanning.
  using Callback = std::function<bool(std::uint32_t id, std::size_t start)>;
  // `release`, if given, is told of bytes the scan has left behind (all but a look-back margin).
  void scan(std::span<const std::uint8_t> data, Scratch &scratch, const Callback &cb,
            const std::function<void(std::size_t, std::size_t)> &release = {}) const;

  bool empty() const { return !db_; }
  std::size_t literal_count() const { return lengths_.size(); }

private:
  struct DbFree {
    void operator()(hs_database *db) const;
  };
  std::unique_ptr<hs_database, DbFree> db_;
  std::vector<std::uint32_t> lengths_;
  std::size_t max_length_ = 0;
};

} // namespace vg
