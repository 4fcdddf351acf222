// engine.hpp — the compiled, immutable signature engine.
// Promise: Engine::build() compiles a SignatureSet once; scan() may then be called from any number of
// threads at the same time, each with its own Engine::Scratch. For one buffer it reports the
// signatures that match (the first one, or all with allmatch), applying allow-lists exactly as ClamAV
// does: whole-file hashes are computed only when some signature (or allow entry, after a detection)
// names the file's size, every needed digest in one pass; body signatures run through one literal
// prefilter per target type (any + the file's own type), are verified only around atom hits, and
// anchored signatures (absolute, EOF-n, EP, Sx, SEx, SL) are checked only where they point.
#pragma once
#include "engine/body_matcher.hpp"
#include "engine/file_type.hpp"
#include "engine/literal_prefilter.hpp"
#include "signatures/signature_set.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vg {

struct Detection {
  enum class Kind : std::uint8_t { hash, body };
  std::string_view name;
  SigOrigin origin;
  Kind kind = Kind::hash;
  std::optional<std::uint64_t> offset; // start of the match, for body signatures
};

struct ScanOutcome {
  FileKind kind = FileKind::binary;
  std::vector<Detection> detections; // empty: clean
  bool allowlisted = false;          // a detection was cancelled by .fp/.sfp
};

class Engine {
public:
  class Scratch {
  public:
    Scratch() = default;

  private:
    friend class Engine;
    LiteralPrefilter::Scratch prefilter;
    std::vector<std::uint32_t> seen_epoch; // per body signature: last scan that matched/queued it
    std::vector<std::uint64_t> lo_hit, hi_hit;
    std::vector<std::uint32_t> pending;
    std::uint32_t epoch = 0;
    const void *owner = nullptr;
  };

  static std::shared_ptr<const Engine> build(SignatureSet set);

  // `release` (optional) is told of byte ranges of `data` that a pass has finished with, so that a
  // mapped file's pages can be dropped while a large file is scanned (MappedFile::release).
  ScanOutcome scan(std::span<const std::uint8_t> data, bool allmatch, Scratch &scratch,
                   const ReleaseFn &release = {}) const;

  // As clamscan's "Known viruses": detecting signatures plus allow-list entries.
  std::uint64_t signature_count() const { return known_; }
  const std::vector<std::string> &databases() const { return set_.databases; }

  struct Stats {
    std::size_t prefiltered = 0; // body signatures found through an atom
    std::size_t anchored = 0;    // checked where their offset points
    std::size_t weak = 0;        // no usable atom: searched in full
  };
  const Stats &stats() const { return stats_; }

private:
  Engine() = default;
  struct BodyEntry {
    BodyMatcher matcher;
    Atom atom;
    const BodySignature *sig;
  };
  // Signatures of one target type, split by how they are found.
  struct Group {
    LiteralPrefilter prefilter;
    std::vector<std::vector<std::uint32_t>> literal_sigs; // literal id -> body entries
    std::vector<std::uint32_t> anchored;
    std::vector<std::uint32_t> weak;
    bool empty() const { return prefilter.empty() && anchored.empty() && weak.empty(); }
  };

  void scan_group(const Group &g, std::span<const std::uint8_t> data, const struct OffsetContext &ctx,
                  bool allmatch, Scratch &scratch, std::vector<Detection> &out,
                  const ReleaseFn &release) const;
  void check_hashes(std::span<const std::uint8_t> data, bool allmatch,
                    std::vector<Detection> &out, const ReleaseFn &release) const;
  bool verify(std::uint32_t entry, std::span<const std::uint8_t> data,
              const struct OffsetContext &ctx, std::uint64_t lo, std::uint64_t hi,
              std::vector<Detection> &out, const ReleaseFn &release) const;

  SignatureSet set_;
  std::vector<BodyEntry> bodies_;
  std::array<Group, kTargetTypeCount> groups_;
  bool needs_exe_[kTargetTypeCount] = {};
  Stats stats_;
  std::uint64_t known_ = 0;
};

} // namespace vg
