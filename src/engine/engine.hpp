// engine.hpp — the compiled, immutable signature engine.
// Promise: Engine::build() compiles a SignatureSet once; scan() may then be called from any number
// of threads at the same time, each with its own Engine::Scratch. For one buffer it reports the
// signatures that match (the first one, or all with allmatch), applying allow-lists exactly as
// ClamAV does: whole-file hashes are computed only when some signature (or allow entry, after a
// detection) names the file's size, every needed digest in one pass; body signatures run through
// one literal prefilter per target type (any + the file's own type), are verified only around atom
// hits, and anchored signatures (absolute, EOF-n, EP, Sx, SEx, SL) are checked only where they
// point. The atoms build() chooses depend only on the signature set: given the set's content key
// (EngineOptions::set_key) and a process-wide CompiledCache, they are cached next to the prefilter
// databases, and a build from the cache has the same atoms, tiers and verdicts as one without.
// stats() tells how the signatures were split and how long each build phase took; with
// EngineOptions::timing, scan_times() adds up the time scans spend per tier (without it, no clock
// is read while scanning).
#pragma once
#include "engine/atom_plan.hpp"
#include "engine/body_matcher.hpp"
#include "engine/compiled_cache.hpp"
#include "engine/file_type.hpp"
#include "engine/literal_prefilter.hpp"
#include "engine/logical_conditions.hpp"
#include "engine/pcre_matcher.hpp"
#include "signatures/signature_set.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vg {

struct Detection {
  enum class Kind : std::uint8_t { hash, body, logical };
  std::string_view name;
  SigOrigin origin;
  Kind kind = Kind::hash;
  std::optional<std::uint64_t> offset; // start of the match, for body signatures
};

struct EngineOptions {
  bool timing = false; // add up per-tier scan times (Engine::scan_times())
  // The key of the signature set's content (signature_snapshot_key() of the files it was loaded
  // from, which covers the program's build). With it and a process-wide CompiledCache, the atoms
  // the build chooses are read from the cache under atom_plan_key(set_key), or chosen and stored
  // there. Without it nothing of the build but the prefilter databases is cached.
  std::optional<CacheKey> set_key;
};

struct ScanOutcome {
  FileKind kind = FileKind::binary;
  std::vector<Detection> detections; // empty: clean
  bool allowlisted = false;          // a detection was cancelled by .fp/.sfp
};

class Engine {
public:
  static constexpr std::size_t kTierCount = 7; // ScanTimes' time fields

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
    // Logical signatures: per subsignature counter, its count and last counted start; per
    // subsignature entry its pending bound; per logical signature the epoch that reset it.
    std::vector<std::uint32_t> counts;
    std::vector<std::uint64_t> last_start;
    std::vector<std::uint32_t> sub_epoch;
    std::vector<std::uint64_t> sub_hi;
    std::vector<std::uint32_t> lsig_epoch;
    std::vector<std::uint32_t> touched, sub_pending;
    std::array<std::uint64_t, kTierCount> tier_ns{}; // this scan's time per Tier (timing only)
  };

  // Throws vg::Error("engine", reason) if refused by check_entry_counts.
  static std::shared_ptr<const Engine> build(SignatureSet set, const EngineOptions &options = {});
  // What build checks first: its entry ids are 32 bits, and a literal's entry list tells a
  // subsignature pattern from a body signature by the top bit (kSubsigBit), so body signatures and
  // subsignature patterns must each stay below 2^31 (then atom positions, bodies plus patterns,
  // stay below 2^32), and subsignatures (one counter each) below 2^32. Throws vg::Error("engine",
  // reason naming the count and the limit) otherwise, rather than letting ids collide.
  static void check_entry_counts(std::uint64_t bodies, std::uint64_t subsig_patterns,
                                 std::uint64_t subsignatures);

  // `release` (optional) is told of byte ranges of `data` that a pass has finished with, so that a
  // mapped file's pages can be dropped while a large file is scanned (MappedFile::release).
  // `container_chain`: the types of the containers the data was extracted from, outermost first
  // (empty for a plain file); .ldb Container/Intermediates conditions are checked against it.
  ScanOutcome scan(std::span<const std::uint8_t> data, bool allmatch, Scratch &scratch,
                   const ReleaseFn &release = {}, ContainerChain container_chain = {}) const;

  // As clamscan's "Known viruses": detecting signatures plus allow-list entries.
  std::uint64_t signature_count() const { return known_; }
  const std::vector<std::string> &databases() const { return set_.databases; }
  // .cdb signatures: the container recursion matches them against each entry's metadata.
  const std::vector<ContainerMetadataSignature> &container_metadata() const {
    return set_.container_metadata;
  }

  struct Stats {
    std::size_t prefiltered = 0;           // body signatures found through an atom
    std::size_t anchored = 0;              // checked where their offset points
    std::size_t weak = 0;                  // no usable atom: searched in full
    std::size_t logical = 0;               // .ldb signatures that can fire
    std::size_t logical_not_evaluable = 0; // .ldb signatures that never fire (limitations)
    std::size_t subsigs_prefiltered = 0, subsigs_anchored = 0, subsigs_weak = 0;
    std::size_t literals = 0;         // distinct prefilter atoms, all target types
    std::size_t distinct_subsigs = 0; // subsignature patterns compiled (repeats share one)
    // Build phases, in seconds (parsing happens before build(): the caller times it). The phases
    // follow one another: build_seconds is their sum, give or take the clock reads.
    double build_seconds = 0;             // all of build()
    double prepare_seconds = 0;           // indexing the signature set (SignatureSet::finish)
    double matcher_seconds = 0;           // compiling body patterns (with EngineOptions::timing
                                          // only: a clock read per pattern cost ~4 ms; else in
                                          // entries_seconds)
    double pcre_compile_seconds = 0;      // compiling PCRE subsignatures
    double entries_seconds = 0;           // the rest of making the entries (sharing repeats)
    double atom_seconds = 0;              // choosing atoms and their checks, or reading them
    bool atoms_from_cache = false;        // the atoms were read from the compiled cache
    double grouping_seconds = 0;          // splitting into tiers, grouping atoms into literals
    double prefilter_compile_seconds = 0; // the Vectorscan databases: compiled or from the cache
    double cleanup_seconds = 0;           // freeing what only the build needed
  };
  const Stats &stats() const { return stats_; }

  // Scan time per tier, summed over every scan() of every thread since build (all zero unless built
  // with EngineOptions::timing). Tiers do not overlap: their sum is the time in scan().
  struct ScanTimes {
    std::uint64_t files = 0; // scan() calls
    double file_typing = 0;  // type detection, text normalisation, executable headers
    double hashing = 0;      // whole-file, PE section and import hashes, allow-lists
    double prefilter = 0;    // the Vectorscan literal pass, without what its hits trigger
    double verification = 0; // body patterns at atom hits and anchored offsets
    double weak = 0;         // body patterns without an atom, searched over the whole buffer
    double pcre = 0;         // PCRE subsignatures
    double logical = 0;      // logical expressions, target descriptions, byte-compares
  };
  ScanTimes scan_times() const;

private:
  Engine() = default;
  // Where a pattern may start relative to its prefilter atom's hit (see Atom), and the bytes a hit
  // must have around it before the pattern is verified there (BodyMatcher::atom_checks).
  static constexpr std::size_t kAtomChecks = kPlanAtomChecks;
  struct AtomPlace {
    std::uint32_t min_distance = 0;
    std::uint32_t max_distance = 0;
    std::array<AtomCheck, kAtomChecks> checks{};
    std::uint8_t check_count = 0;
    // Whether the bytes around a hit at `pos` can belong to a match.
    bool admits(std::span<const std::uint8_t> data, std::size_t pos) const {
      for (std::size_t k = 0; k < check_count; ++k) {
        const AtomCheck &c = checks[k];
        const std::int64_t p = static_cast<std::int64_t>(pos) + c.offset;
        if (p < 0 || static_cast<std::uint64_t>(p) >= data.size() ||
            (data[static_cast<std::size_t>(p)] & c.mask) != c.value)
          return false;
      }
      return true;
    }
  };
  // Where the pattern may start around a hit of `atom`, and the bytes to check there first.
  static AtomPlace place_of(const PlannedAtom &atom);
  struct BodyEntry {
    BodyMatcher matcher;
    AtomPlace atom;
    const BodySignature *sig;
  };
  // One pattern of a logical signature's body subsignature (::wa gives two for one counter).
  struct SubsigEntry {
    BodyMatcher matcher;
    AtomPlace atom;
    const OffsetSpec *offset;  // in set_
    std::uint32_t lsig = 0;    // index into logicals_
    std::uint32_t counter = 0; // index into Scratch::counts
    std::uint32_t cap = 1;     // counting beyond this cannot change the verdict
    bool target_info = false;  // needs the executable header (see needs_target_info)
  };
  struct PcreUnit {
    std::uint32_t subsig = 0;
    std::uint32_t cap = 1;
    PcreMatcher matcher;
  };
  struct LogicalEntry {
    const LogicalSignature *sig;
    std::uint32_t first_counter = 0;
    std::vector<PcreUnit> pcre;               // run after the literal pass, trigger permitting
    std::vector<std::uint32_t> byte_compares; // subsignature indexes, evaluated after PCRE
    // Body subsignatures without an atom (SubsigEntry indexes): searched over the whole buffer,
    // after the literal pass, and only while the expression may still hold with the counts the
    // other subsignatures have (weak_free: bit i when subsignature i has a pattern without atom).
    std::vector<std::uint32_t> weak;
    std::uint64_t weak_free = 0;
  };
  // The atom of entry `entry` (a body entry, or a subsignature entry | kSubsigBit), chosen now.
  PlannedAtom plan_atom(std::uint32_t entry) const;
  // The atoms of `entries`, in order: from the compiled cache when `set_key` is given and a valid
  // plan for exactly these entries is there (a bad one is rejected with its reason), else chosen
  // and stored. Sets stats_.atoms_from_cache.
  std::vector<PlannedAtom> plan_atoms(std::span<const std::uint32_t> entries,
                                      const std::optional<CacheKey> &set_key);
  // Whether searching a signature's weak subsignatures can change its verdict, given `counts`.
  bool weak_may_matter(const LogicalEntry &le, std::span<const std::uint32_t> counts) const;
  static constexpr std::uint32_t kSubsigBit = 0x80000000u; // literal entry is a SubsigEntry
  // Signatures of one target type, split by how they are found.
  struct Group {
    LiteralPrefilter prefilter;
    // The entries of literal id l: literal_entries[literal_first[l] .. literal_first[l + 1]).
    std::vector<std::uint32_t> literal_first;
    std::vector<std::uint32_t> literal_entries;
    std::span<const std::uint32_t> entries_of(std::uint32_t literal) const {
      return std::span<const std::uint32_t>(literal_entries)
          .subspan(literal_first[literal], literal_first[literal + 1] - literal_first[literal]);
    }
    std::vector<std::uint32_t> anchored;
    std::vector<std::uint32_t> weak;
    std::vector<std::uint32_t> subsig_anchored; // SubsigEntry indexes
    std::vector<std::uint32_t> lsig_weak;       // logical signatures with weak subsignatures
    std::vector<std::uint32_t> lsig_always;     // logical signatures true with no match at all
    bool empty() const {
      return prefilter.empty() && anchored.empty() && weak.empty() && subsig_anchored.empty() &&
             lsig_weak.empty() && lsig_always.empty();
    }
  };

  void scan_group(const Group &g, std::span<const std::uint8_t> data,
                  const struct OffsetContext &ctx, bool allmatch, Scratch &scratch,
                  std::vector<Detection> &out, const ReleaseFn &release,
                  ContainerChain chain) const;
  void count_subsig(std::uint32_t entry, std::span<const std::uint8_t> data,
                    const struct OffsetContext &ctx, std::uint64_t lo, std::uint64_t hi,
                    Scratch &scratch, const ReleaseFn &release = {}) const;
  void touch_lsig(std::uint32_t lsig, Scratch &scratch) const;
  void evaluate_lsigs(const Group &g, std::span<const std::uint8_t> data,
                      const struct OffsetContext &ctx, bool allmatch, Scratch &scratch,
                      std::vector<Detection> &out, ContainerChain chain,
                      const ReleaseFn &release) const;
  void check_hashes(std::span<const std::uint8_t> data, bool allmatch, std::vector<Detection> &out,
                    const ReleaseFn &release) const;
  bool verify(std::uint32_t entry, std::span<const std::uint8_t> data,
              const struct OffsetContext &ctx, std::uint64_t lo, std::uint64_t hi,
              std::vector<Detection> &out, const ReleaseFn &release) const;

  SignatureSet set_;
  std::vector<BodyEntry> bodies_;
  std::vector<SubsigEntry> subsigs_;
  std::vector<LogicalEntry> logicals_;
  std::uint32_t counters_ = 0;
  std::array<Group, kTargetTypeCount> groups_;
  bool needs_exe_[kTargetTypeCount] = {};
  Stats stats_;
  std::uint64_t known_ = 0;
  bool timing_ = false;
  // ScanTimes: nanoseconds per tier, and the scans counted.
  mutable std::array<std::atomic<std::uint64_t>, kTierCount> tier_ns_{};
  mutable std::atomic<std::uint64_t> timed_files_{0};
};

} // namespace vg
