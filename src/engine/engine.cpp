#include "engine/engine.hpp"

#include "common/error.hpp"
#include "engine/atom_plan.hpp"
#include "engine/byte_compare.hpp"
#include "engine/compiled_cache.hpp"
#include "engine/exe_info.hpp"
#include "engine/logical_conditions.hpp"
#include "engine/pe_version_info.hpp"
#include "engine/section_hash_check.hpp"
#include "engine/text_normalize.hpp"
#include "signatures/offset_spec.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <limits>
#include <optional>
#include <string_view>
#include <tuple>

namespace vg {

namespace {
// Signatures of an executable target type (PE, ELF, Mach-O) whose offset is relative (EOF-n, EP,
// sections, VI): ClamAV computes their offsets from the parsed header and, when it cannot parse the
// header, never matches them — even EOF-n (cli_caloff with target info status -1). Measured with
// clamscan 1.4.6 on PE files with broken headers.
bool needs_target_info(TargetType target, const OffsetSpec &offset) {
  bool exe_target =
      target == TargetType::pe || target == TargetType::elf || target == TargetType::macho;
  return exe_target && offset.base != OffsetSpec::Base::any &&
         offset.base != OffsetSpec::Base::absolute;
}
bool needs_target_info(const BodySignature &sig) {
  return needs_target_info(sig.target, sig.offset);
}

constexpr std::size_t kMaxPrefilterAtom = kPlanAtomLength;

// The prefilter atom of a pattern. Vectorscan's literal API refuses literals that begin with a NUL
// byte: leading NULs are dropped and the atom's distance moves along with them.
Atom prefilter_atom(const BodyMatcher &m) {
  Atom atom = m.choose_atom(kMaxPrefilterAtom);
  std::size_t nuls = 0;
  while (nuls < atom.bytes.size() && atom.bytes[nuls] == 0)
    ++nuls;
  if (nuls) {
    atom.bytes.erase(atom.bytes.begin(), atom.bytes.begin() + static_cast<std::ptrdiff_t>(nuls));
    atom.min_distance += static_cast<std::uint32_t>(nuls);
    if (atom.max_distance != Gap::kUnbounded)
      atom.max_distance += static_cast<std::uint32_t>(nuls);
  }
  // Literals of up to 8 bytes keep Vectorscan's literal matcher (FDR) on its fast path and share
  // more often; the whole pattern is verified around each hit anyway.
  if (atom.bytes.size() > kMaxPrefilterAtom)
    atom.bytes.resize(kMaxPrefilterAtom);
  return atom;
}

bool subsigs_evaluable(const LogicalSignature &sig) {
  return std::all_of(sig.subsigs.begin(), sig.subsigs.end(), [](const LogicalSubsignature &s) {
    return s.kind == LogicalSubsignature::Kind::body || s.kind == LogicalSubsignature::Kind::pcre ||
           s.kind == LogicalSubsignature::Kind::byte_compare;
  });
}

// How far each subsignature's matches must be counted: as far as the expression or a PCRE trigger
// can tell counts apart; all the way for byte-compare triggers (they need the last match start).
std::vector<std::uint32_t> count_caps(const LogicalSignature &sig) {
  std::vector<std::uint32_t> caps(sig.subsigs.size());
  for (std::size_t i = 0; i < caps.size(); ++i)
    caps[i] = sig.expression.count_cap(static_cast<std::uint32_t>(i));
  for (const auto &sub : sig.subsigs) {
    if (sub.kind == LogicalSubsignature::Kind::pcre)
      for (std::size_t i = 0; i < caps.size(); ++i)
        caps[i] = std::max(caps[i], sub.trigger().count_cap(static_cast<std::uint32_t>(i)));
    if (sub.kind == LogicalSubsignature::Kind::byte_compare)
      caps[sub.byte_compare().trigger] = std::numeric_limits<std::uint32_t>::max();
  }
  return caps;
}

constexpr std::uint64_t kNoStart = ~std::uint64_t{0};

// An atom hit of entry `id` behind an unbounded gap (* or {n-}): the entry is verified once after
// the prefilter pass, over every start up to the highest `hi` recorded in this pass (`epoch`).
void defer(std::vector<std::uint32_t> &seen, std::vector<std::uint64_t> &hi_of,
           std::vector<std::uint32_t> &pending, std::uint32_t id, std::uint32_t epoch,
           std::uint64_t hi) {
  if (seen[id] != epoch) {
    seen[id] = epoch;
    hi_of[id] = hi;
    pending.push_back(id);
  } else {
    hi_of[id] = std::max(hi_of[id], hi);
  }
}

// Atoms shorter than this are not selective enough for the prefilter; such signatures are searched
// in full (the weak tier).
constexpr std::size_t kMinAtomLength = 3;

// One prefilter atom of one entry, gathered flat while building, as a 128-bit sort key: `hi` holds
// the target type (4 bits) and the atom's bytes as a big-endian number, zero-padded, whose low 4
// bits continue at the top of `lo`; then the atom's length (4 bits), whether it is caseless, and
// the atom's position in the build (the index of its entry in a side array). Compared as
// (hi, lo), the keys order as (target, bytes as lexicographic comparison would with the length
// after them, caseless, position): equal atoms of one target become adjacent, each run in build
// order, in one sort of 16-byte values.
struct AtomKey {
  std::uint64_t hi = 0, lo = 0;
  static constexpr int kLiteralShift = 32; // lo's bits below this are the position
  std::uint32_t position() const { return static_cast<std::uint32_t>(lo); }
  std::size_t target() const { return static_cast<std::size_t>(hi >> 60); }
  std::uint64_t number() const { return hi << 4 | lo >> 60; }
  std::size_t length() const { return static_cast<std::size_t>(lo >> 56 & 0xf); }
  bool caseless() const { return (lo >> 55) & 1; }
  bool same_literal(const AtomKey &o) const {
    return hi == o.hi && lo >> kLiteralShift == o.lo >> kLiteralShift;
  }
  friend bool operator<(const AtomKey &a, const AtomKey &b) {
    return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo);
  }
};
static_assert(kMaxPrefilterAtom <= sizeof(std::uint64_t) && kMaxPrefilterAtom < 16);
static_assert(kTargetTypeCount <= 16);

AtomKey atom_key(const PlannedAtom &atom, std::size_t target, std::size_t position) {
  std::uint64_t number = 0;
  for (std::size_t i = 0; i < kMaxPrefilterAtom; ++i)
    number = number << 8 | (i < atom.length ? atom.bytes[i] : 0);
  AtomKey k;
  k.hi = std::uint64_t{target} << 60 | number >> 4;
  k.lo = (number & 0xf) << 60 | std::uint64_t{atom.length} << 56 |
         std::uint64_t{atom.caseless} << 55 | static_cast<std::uint32_t>(position);
  return k;
}

// The first entry of each distinct packed pattern: open addressing over (pattern, part of its
// hash, value) in 16 bytes a slot, no allocation per pattern (the patterns live in the matchers,
// which outlive the table). Grows past three quarters full.
class FirstOccurrences {
public:
  explicit FirstOccurrences(std::size_t expected) { resize(expected + expected / 3 + 16); }
  // The part of a pattern's hash the table keeps.
  static std::uint32_t hash_of(const PackedPattern &pattern) {
    return static_cast<std::uint32_t>(pattern.hash());
  }
  // The entry of `pattern` (whose hash_of() is `hash`), or null.
  std::uint32_t *find(const PackedPattern &pattern, std::uint32_t hash) {
    Slot *s = find(hash, pattern);
    return s->pattern ? &s->value : nullptr;
  }
  // Records `value` for `pattern`, which find() did not know (`pattern` must outlive the table).
  void insert(const PackedPattern &pattern, std::uint32_t hash, std::uint32_t value) {
    if (4 * (count_ + 1) > 3 * slots_.size())
      resize(2 * slots_.size());
    *find(hash, pattern) = Slot{&pattern, hash, value};
    ++count_;
  }
  // Asks for the first slot of `hash` to be brought into the cache (a lookup a few patterns
  // ahead: the table is megabytes and each lookup lands at random).
  void prefetch(std::uint32_t hash) const { __builtin_prefetch(&slots_[hash & mask_]); }

private:
  struct Slot {
    const PackedPattern *pattern = nullptr; // null: empty
    std::uint32_t hash = 0;
    std::uint32_t value = 0;
  };
  // The slot of `pattern`, or the empty slot where it belongs.
  Slot *find(std::uint32_t hash, const PackedPattern &pattern) {
    for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
      Slot &s = slots_[i];
      if (!s.pattern || (s.hash == hash && *s.pattern == pattern))
        return &s;
    }
  }
  void resize(std::size_t at_least) {
    std::size_t n = 16;
    while (n < at_least)
      n <<= 1;
    std::vector<Slot> old(n);
    old.swap(slots_);
    mask_ = n - 1;
    for (const Slot &s : old)
      if (s.pattern)
        *find(s.hash, *s.pattern) = s;
  }
  std::vector<Slot> slots_;
  std::size_t mask_ = 0, count_ = 0;
};

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// The scan tiers of Engine::ScanTimes, in its field order.
// (In a struct, so that the tier names do not enter the namespace.)
struct Tier {
  enum : std::size_t { file_typing, hashing, prefilter, verification, weak, pcre, logical };
};

// Adds the time from construction to destruction to `ns` when timing is on; reads no clock
// otherwise.
class TierTimer {
public:
  TierTimer(bool on, std::uint64_t &ns) : ns_(on ? &ns : nullptr) {
    if (ns_)
      t0_ = Clock::now();
  }
  ~TierTimer() {
    if (ns_)
      *ns_ += static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0_).count());
  }
  TierTimer(const TierTimer &) = delete;
  TierTimer &operator=(const TierTimer &) = delete;

private:
  std::uint64_t *ns_;
  Clock::time_point t0_;
};
} // namespace

Engine::AtomPlace Engine::place_of(const PlannedAtom &atom) {
  AtomPlace place{atom.min_distance, atom.max_distance, {}, atom.check_count};
  std::copy(atom.checks.begin(), atom.checks.end(), place.checks.begin());
  return place;
}

PlannedAtom Engine::plan_atom(std::uint32_t entry) const {
  const BodyMatcher &m =
      entry & kSubsigBit ? subsigs_[entry & ~kSubsigBit].matcher : bodies_[entry].matcher;
  const Atom atom = prefilter_atom(m);
  PlannedAtom p;
  p.entry = entry;
  p.length = static_cast<std::uint8_t>(atom.bytes.size());
  std::copy(atom.bytes.begin(), atom.bytes.end(), p.bytes.begin());
  p.caseless = atom.caseless && !atom.bytes.empty();
  p.min_distance = atom.min_distance;
  p.max_distance = atom.max_distance;
  if (!atom.bytes.empty()) {
    const std::vector<AtomCheck> checks = m.atom_checks(atom, kAtomChecks);
    std::copy(checks.begin(), checks.end(), p.checks.begin());
    p.check_count = static_cast<std::uint8_t>(checks.size());
  }
  return p;
}

std::vector<PlannedAtom> Engine::plan_atoms(std::span<const std::uint32_t> entries,
                                            const std::optional<CacheKey> &set_key) {
  auto cache = compiled_cache();
  CacheKey key{};
  if (cache && set_key) {
    key = atom_plan_key(*set_key);
    if (auto entry = cache->load(key)) {
      try {
        auto plan = read_atom_plan(entry->payload(), entries, cache->path_for(key).string());
        stats_.atoms_from_cache = true;
        return plan;
      } catch (const Error &err) {
        cache->reject(key, err.reason());
      }
    }
  }
  std::vector<PlannedAtom> plan;
  plan.reserve(entries.size());
  for (std::uint32_t entry : entries)
    plan.push_back(plan_atom(entry));
  if (cache && set_key)
    cache->store(key, write_atom_plan(plan));
  return plan;
}

void Engine::check_entry_counts(std::uint64_t bodies, std::uint64_t subsig_patterns,
                                std::uint64_t subsignatures) {
  auto refuse = [](std::uint64_t count, const char *what, std::uint64_t limit) {
    throw Error("engine", std::to_string(count) + " " + what + " (at most " +
                              std::to_string(limit - 1) + ": entry ids are 32 bits)");
  };
  if (bodies >= kSubsigBit)
    refuse(bodies, "body signatures", kSubsigBit);
  if (subsig_patterns >= kSubsigBit)
    refuse(subsig_patterns, "subsignature patterns", kSubsigBit);
  constexpr std::uint64_t kCounters = std::uint64_t{1} << 32;
  if (subsignatures >= kCounters)
    refuse(subsignatures, "logical subsignatures", kCounters);
}

std::shared_ptr<const Engine> Engine::build(SignatureSet set, const EngineOptions &options) {
  const auto t_build = Clock::now();
  std::size_t patterns = 0, subsignatures = 0;
  for (const auto &sig : set.logicals) {
    subsignatures += sig.subsigs.size();
    for (const auto &sub : sig.subsigs)
      patterns += sub.patterns.size();
  }
  check_entry_counts(set.bodies.size(), patterns, subsignatures);
  std::shared_ptr<Engine> e(new Engine());
  e->timing_ = options.timing;
  e->set_ = std::move(set);
  e->set_.finish();
  e->known_ = e->set_.signature_count() + e->set_.logicals.size() + e->set_.allow.size();
  e->bodies_.reserve(e->set_.bodies.size());
  Stats &st = e->stats_;
  st.prepare_seconds = seconds_since(t_build);
  const auto t_entries = Clock::now();
  double matcher_s = 0, pcre_s = 0;
  // The pattern is moved into its matcher (the scan needs nothing else of it).
  auto compile = [&, timed = options.timing](PackedPattern &pattern) {
    if (!timed)
      return BodyMatcher(std::move(pattern));
    auto t0 = Clock::now();
    BodyMatcher m(std::move(pattern));
    matcher_s += seconds_since(t0);
    return m;
  };
  // The patterns that need an atom, in build order (anchored ones are checked where their offset
  // points: they need none; a repeated subsignature shares its first occurrence's).
  std::vector<std::uint32_t> jobs;
  jobs.reserve(e->set_.bodies.size());
  for (auto &sig : e->set_.bodies) {
    auto id = static_cast<std::uint32_t>(e->bodies_.size());
    if (sig.offset.needs_exe() || needs_target_info(sig))
      e->needs_exe_[static_cast<std::size_t>(sig.target)] = true;
    if (!sig.offset.anchored())
      jobs.push_back(id);
    e->bodies_.push_back(BodyEntry{compile(sig.pattern), AtomPlace{}, &sig});
  }
  const std::vector<std::uint32_t> no_matches(64, 0);
  e->subsigs_.reserve(patterns);
  e->logicals_.reserve(e->set_.logicals.size());
  jobs.reserve(jobs.size() + patterns);
  // A quarter of the real databases' subsignature patterns repeat one another: their matchers and
  // atoms are built once and shared (the atom depends on the pattern alone, not on the offset or
  // the target type). Keyed by the packed pattern, mapped to its first unanchored entry (its first
  // entry while all are anchored, which share the matcher only: they need no atom).
  FirstOccurrences built(patterns);
  // Every body subsignature pattern's hash, in the order the loop below meets them (all logical
  // signatures, skipped or not; first_hash: where each signature's start), computed in one pass
  // over the patterns as they lie in memory, so that the table's slots can be fetched ahead.
  std::vector<std::uint32_t> pattern_hash, first_hash;
  pattern_hash.reserve(patterns);
  first_hash.reserve(e->set_.logicals.size());
  for (const auto &sig : e->set_.logicals) {
    first_hash.push_back(static_cast<std::uint32_t>(pattern_hash.size()));
    for (const auto &sub : sig.subsigs)
      if (sub.kind == LogicalSubsignature::Kind::body)
        for (const auto &pattern : sub.patterns)
          pattern_hash.push_back(FirstOccurrences::hash_of(pattern));
  }
  std::vector<std::uint32_t> shares; // per subsignature entry: the entry whose atom it takes
  shares.reserve(patterns);
  // per subsignature entry: its target type, and kAnchoredBit when it is anchored (the grouping
  // reads this instead of the signature set's scattered offsets)
  constexpr std::uint8_t kAnchoredBit = 0x80;
  std::vector<std::uint8_t> placement;
  placement.reserve(patterns);
  for (auto &sig : e->set_.logicals) {
    auto release_patterns = [&sig] {
      for (auto &sub : sig.subsigs)
        sub.patterns.clear();
    };
    if (!subsigs_evaluable(sig) || !tdb_evaluable(sig.tdb)) {
      ++st.logical_not_evaluable; // never fires: see logical_signature.hpp
      release_patterns();
      continue;
    }
    const std::vector<std::uint32_t> caps = count_caps(sig);
    LogicalEntry entry{&sig, e->counters_, {}, {}};
    bool compiled = true;
    bool runs_without_match = sig.expression.evaluate(no_matches);
    for (std::size_t i = 0; i < sig.subsigs.size() && compiled; ++i) {
      const LogicalSubsignature &sub = sig.subsigs[i];
      if (sub.kind == LogicalSubsignature::Kind::byte_compare)
        entry.byte_compares.push_back(static_cast<std::uint32_t>(i));
      if (sub.kind != LogicalSubsignature::Kind::pcre)
        continue;
      auto t0 = Clock::now();
      auto c = PcreMatcher::compile(sub.pcre());
      pcre_s += seconds_since(t0);
      if (!c.ok()) {
        compiled = false; // PCRE2 refuses the regex: the signature cannot be evaluated
        break;
      }
      // A trigger that holds with no match runs its regex on every file.
      runs_without_match = runs_without_match || sub.trigger().evaluate(no_matches);
      entry.pcre.push_back(PcreUnit{static_cast<std::uint32_t>(i), caps[i], std::move(*c.matcher)});
    }
    if (!compiled) {
      ++st.logical_not_evaluable;
      release_patterns();
      continue;
    }
    ++st.logical;
    auto lsig = static_cast<std::uint32_t>(e->logicals_.size());
    e->logicals_.push_back(std::move(entry));
    auto t = static_cast<std::size_t>(sig.tdb.target);
    if (sig.tdb.entry_point || sig.tdb.number_of_sections)
      e->needs_exe_[t] = true;
    std::size_t k = first_hash[static_cast<std::size_t>(&sig - e->set_.logicals.data())];
    for (std::size_t i = 0; i < sig.subsigs.size(); ++i) {
      LogicalSubsignature &sub = sig.subsigs[i];
      if (sub.kind != LogicalSubsignature::Kind::body)
        continue;
      const bool anchored = sub.offset.anchored();
      const std::size_t pattern_count = sub.patterns.size(); // moving them out empties them
      for (std::size_t p = 0; p < pattern_count; ++p, ++k) {
        constexpr std::size_t kAhead = 8;
        if (k + kAhead < pattern_hash.size())
          built.prefetch(pattern_hash[k + kAhead]);
        const std::uint32_t hash = pattern_hash[k];
        auto id = static_cast<std::uint32_t>(e->subsigs_.size());
        std::uint32_t *first = built.find(sub.patterns[p], hash);
        // A repeat takes its first occurrence's matcher; its atom too unless that one is anchored
        // (and has none) while the repeat is not.
        const bool fresh = !first;
        const bool own_atom = !anchored && (fresh || (placement[*first] & kAnchoredBit));
        shares.push_back(own_atom || fresh ? id : *first);
        placement.push_back(static_cast<std::uint8_t>(t | (anchored ? kAnchoredBit : 0)));
        if (own_atom)
          jobs.push_back(id | kSubsigBit);
        if (fresh)
          ++st.distinct_subsigs;
        SubsigEntry entry{fresh ? compile(sub.patterns[p]) : e->subsigs_[*first].matcher,
                          AtomPlace{},
                          &sub.offset,
                          lsig,
                          e->counters_ + static_cast<std::uint32_t>(i),
                          caps[i],
                          needs_target_info(sig.tdb.target, sub.offset)};
        if (sub.offset.needs_exe() || entry.target_info)
          e->needs_exe_[t] = true;
        e->subsigs_.push_back(std::move(entry));
        if (fresh)
          built.insert(e->subsigs_.back().matcher.packed(), hash, id);
        else if (own_atom)
          *first = id; // later unanchored repeats take this entry's atom
      }
      sub.patterns.clear(); // moved into matchers, or repeats
    }
    e->counters_ += static_cast<std::uint32_t>(sig.subsigs.size());
    if (runs_without_match)
      e->groups_[t].lsig_always.push_back(lsig);
  }
  st.matcher_seconds = matcher_s;
  st.pcre_compile_seconds = pcre_s;
  st.entries_seconds = seconds_since(t_entries) - matcher_s - pcre_s;

  const auto t_atoms = Clock::now();
  std::vector<PlannedAtom> plan = e->plan_atoms(jobs, options.set_key);
  st.atom_seconds = seconds_since(t_atoms);

  // Each entry takes its atom (in job order: bodies, then subsignatures, as `jobs` was filled)
  // and joins its tier; equal atoms of one target type become one literal, in byte order.
  const auto t_grouping = Clock::now();
  std::vector<AtomKey> atoms;
  std::vector<std::uint32_t> entry_at; // per atom position: its entry
  atoms.reserve(e->bodies_.size() + e->subsigs_.size());
  entry_at.reserve(atoms.capacity());
  std::size_t next = 0;
  for (std::uint32_t id = 0; id < e->bodies_.size(); ++id) {
    BodyEntry &b = e->bodies_[id];
    auto t = static_cast<std::size_t>(b.sig->target);
    Group &g = e->groups_[t];
    if (b.sig->offset.anchored()) {
      g.anchored.push_back(id);
      ++st.anchored;
      continue;
    }
    const PlannedAtom &a = plan[next++];
    b.atom = place_of(a);
    if (a.length >= kMinAtomLength) {
      atoms.push_back(atom_key(a, t, entry_at.size()));
      entry_at.push_back(id);
      ++st.prefiltered;
    } else {
      g.weak.push_back(id);
      ++st.weak;
    }
  }
  std::vector<std::uint32_t> plan_of(e->subsigs_.size()); // per subsignature entry: its atom
  for (std::uint32_t id = 0; id < e->subsigs_.size(); ++id) {
    const std::size_t t = placement[id] & ~kAnchoredBit;
    Group &g = e->groups_[t];
    if (placement[id] & kAnchoredBit) {
      g.subsig_anchored.push_back(id);
      ++st.subsigs_anchored;
      continue;
    }
    plan_of[id] = shares[id] == id ? static_cast<std::uint32_t>(next++) : plan_of[shares[id]];
    const PlannedAtom &a = plan[plan_of[id]];
    SubsigEntry &s = e->subsigs_[id];
    s.atom = place_of(a);
    if (a.length >= kMinAtomLength) {
      atoms.push_back(atom_key(a, t, entry_at.size()));
      entry_at.push_back(id | kSubsigBit);
      ++st.subsigs_prefiltered;
    } else {
      LogicalEntry &le = e->logicals_[s.lsig];
      if (le.weak.empty())
        g.lsig_weak.push_back(s.lsig);
      le.weak.push_back(id);
      le.weak_free |= std::uint64_t{1} << (s.counter - le.first_counter);
      ++st.subsigs_weak;
    }
  }
  if (next != plan.size())
    throw Error("engine", "atom plan has " + std::to_string(plan.size()) + " atoms for " +
                              std::to_string(next) + " patterns");
  std::vector<std::uint32_t>().swap(plan_of);
  std::vector<std::uint8_t>().swap(placement);
  std::vector<std::uint32_t>().swap(shares);
  std::vector<std::uint32_t>().swap(jobs);
  std::vector<PlannedAtom>().swap(plan);
  std::sort(atoms.begin(), atoms.end());
  double prefilter_s = 0;
  std::size_t from = 0;
  // Every group's cached database is looked up first, so that their digests are checked at once.
  std::vector<LiteralList> group_literals(kTargetTypeCount);
  std::vector<LiteralPrefilter::Lookup> lookups(kTargetTypeCount);
  for (std::size_t t = 0; t < kTargetTypeCount; ++t) {
    Group &g = e->groups_[t];
    std::size_t end = from, count = 0, bytes = 0;
    for (; end < atoms.size() && atoms[end].target() == t; ++end)
      if (end == from || !atoms[end].same_literal(atoms[end - 1])) {
        ++count;
        bytes += atoms[end].length();
      }
    LiteralList literals; // flat: no allocation per literal
    literals.reserve(count, bytes);
    g.literal_first.reserve(count + 1);
    g.literal_entries.reserve(end - from);
    for (std::size_t k = from; k < end; ++k) {
      const AtomKey &key = atoms[k];
      if (k == from || !key.same_literal(atoms[k - 1])) {
        const std::uint64_t number = key.number();
        std::array<std::uint8_t, kMaxPrefilterAtom> literal;
        for (std::size_t i = 0; i < key.length(); ++i)
          literal[i] = static_cast<std::uint8_t>(number >> (8 * (kMaxPrefilterAtom - 1 - i)));
        literals.add({literal.data(), key.length()}, key.caseless());
        g.literal_first.push_back(static_cast<std::uint32_t>(g.literal_entries.size()));
      }
      g.literal_entries.push_back(entry_at[key.position()]);
    }
    g.literal_first.push_back(static_cast<std::uint32_t>(g.literal_entries.size()));
    from = end;
    st.literals += literals.size();
    const auto t_prefilter = Clock::now();
    lookups[t] = LiteralPrefilter::look_up(literals);
    group_literals[t] = std::move(literals);
    prefilter_s += seconds_since(t_prefilter);
  }
  const auto t_prefilters = Clock::now();
  for (std::size_t t = 0; t < kTargetTypeCount; ++t)
    e->groups_[t].prefilter = LiteralPrefilter(group_literals[t], std::move(lookups[t]));
  std::vector<LiteralList>().swap(group_literals);
  prefilter_s += seconds_since(t_prefilters);
  st.prefilter_compile_seconds = prefilter_s;
  st.grouping_seconds = seconds_since(t_grouping) - prefilter_s;
  // What only the build needed goes last: hundreds of thousands of small chunks freed before the
  // Vectorscan compile made it ~40% slower (glibc's allocator then walks fragmented free lists).
  const auto t_cleanup = Clock::now();
  built = FirstOccurrences(0);
  st.cleanup_seconds = seconds_since(t_cleanup);
  st.build_seconds = seconds_since(t_build);
  return e;
}

namespace {
// The first match of `matcher` starting in [lo, hi]. With `release`, a long range is searched in
// slices, dropping the pages left behind (a match starting in one slice may run on past it: only
// starts are bounded by a slice).
std::optional<BodyMatch> find_releasing(const BodyMatcher &matcher,
                                        std::span<const std::uint8_t> data, std::uint64_t lo,
                                        std::uint64_t hi, const ReleaseFn &release) {
  constexpr std::uint64_t kSlice = std::uint64_t{1} << 20, kLookBack = std::uint64_t{256} << 10;
  if (!release || hi - lo <= 2 * kSlice)
    return matcher.find(data, static_cast<std::size_t>(lo), static_cast<std::size_t>(hi));
  std::optional<BodyMatch> m;
  std::uint64_t released = lo;
  for (std::uint64_t from = lo; from <= hi && !m; from += kSlice) {
    if (from > released + kLookBack) {
      release(static_cast<std::size_t>(released), static_cast<std::size_t>(from - kLookBack));
      released = from - kLookBack;
    }
    std::uint64_t to = std::min(hi, from + kSlice - 1);
    m = matcher.find(data, static_cast<std::size_t>(from), static_cast<std::size_t>(to));
  }
  return m;
}
} // namespace

bool Engine::verify(std::uint32_t entry, std::span<const std::uint8_t> data,
                    const OffsetContext &ctx, std::uint64_t lo, std::uint64_t hi,
                    std::vector<Detection> &out, const ReleaseFn &release) const {
  const BodyEntry &b = bodies_[entry];
  if (!ctx.entry_point && needs_target_info(*b.sig))
    return false; // the executable header did not parse: ClamAV has no offsets for it
  auto range = resolve(b.sig->offset, ctx);
  if (!range)
    return false;
  lo = std::max(lo, range->lo);
  hi = std::min(hi, range->hi);
  if (lo > hi)
    return false;
  if (b.sig->offset.base == OffsetSpec::Base::version_info) {
    for (std::uint64_t start : *ctx.version_info) {
      if (start < lo || start > hi)
        continue;
      if (auto m = b.matcher.match_at(data, static_cast<std::size_t>(start))) {
        out.push_back(Detection{b.sig->name, b.sig->origin, Detection::Kind::body, m->start});
        return true;
      }
    }
    return false;
  }
  std::optional<BodyMatch> m = find_releasing(b.matcher, data, lo, hi, release);
  if (!m)
    return false;
  out.push_back(Detection{b.sig->name, b.sig->origin, Detection::Kind::body, m->start});
  return true;
}

void Engine::touch_lsig(std::uint32_t lsig, Scratch &s) const {
  if (s.lsig_epoch[lsig] == s.epoch)
    return;
  s.lsig_epoch[lsig] = s.epoch;
  const LogicalEntry &l = logicals_[lsig];
  std::size_t n = l.sig->subsigs.size();
  std::fill_n(s.counts.begin() + l.first_counter, n, 0u);
  std::fill_n(s.last_start.begin() + l.first_counter, n, kNoStart);
  s.touched.push_back(lsig);
}

void Engine::count_subsig(std::uint32_t entry, std::span<const std::uint8_t> data,
                          const OffsetContext &ctx, std::uint64_t lo, std::uint64_t hi, Scratch &s,
                          const ReleaseFn &release) const {
  const SubsigEntry &se = subsigs_[entry];
  if (se.target_info && !ctx.entry_point)
    return; // the executable header did not parse: ClamAV has no offsets for it
  auto range = resolve(*se.offset, ctx);
  if (!range)
    return;
  touch_lsig(se.lsig, s);
  std::uint32_t &count = s.counts[se.counter];
  std::uint64_t &last = s.last_start[se.counter];
  // ClamAV counts a match only when it starts after the last one it counted.
  lo = std::max(lo, range->lo);
  if (last != kNoStart)
    lo = std::max(lo, last + 1);
  hi = std::min(hi, range->hi);
  if (se.offset->base == OffsetSpec::Base::version_info) {
    for (std::uint64_t start : *ctx.version_info) {
      if (count >= se.cap)
        return;
      if (start < lo || start > hi || (last != kNoStart && start <= last))
        continue;
      if (se.matcher.match_at(data, static_cast<std::size_t>(start))) {
        ++count;
        last = start;
      }
    }
    return;
  }
  while (lo <= hi && count < se.cap) {
    auto m = find_releasing(se.matcher, data, lo, hi, release);
    if (!m)
      return;
    ++count;
    last = m->start;
    lo = m->start + 1;
  }
}

bool Engine::weak_may_matter(const LogicalEntry &le, std::span<const std::uint32_t> counts) const {
  // Unknown until searched: the weak subsignatures; then every PCRE whose trigger may hold and
  // every byte-compare whose trigger may have matched (the others stay at 0 at evaluation).
  std::uint64_t free = le.weak_free;
  for (const PcreUnit &u : le.pcre)
    if (le.sig->subsigs[u.subsig].trigger().may_hold(counts, free))
      free |= std::uint64_t{1} << u.subsig;
  for (auto b : le.byte_compares) {
    const std::uint32_t t = le.sig->subsigs[b].byte_compare().trigger;
    if (((free >> t) & 1) || counts[t] > 0)
      free |= std::uint64_t{1} << b;
  }
  return le.sig->expression.may_hold(counts, free);
}

void Engine::evaluate_lsigs(const Group &g, std::span<const std::uint8_t> data,
                            const OffsetContext &ctx, bool allmatch, Scratch &s,
                            std::vector<Detection> &out, ContainerChain chain,
                            const ReleaseFn &release) const {
  for (auto l : g.lsig_always)
    touch_lsig(l, s);
  if (s.touched.empty())
    return;
  std::sort(s.touched.begin(),
            s.touched.end()); // ClamAV evaluates in load order
  LogicalFileFacts facts;
  facts.size = data.size();
  facts.exe_parsed = ctx.entry_point.has_value() && ctx.sections != nullptr;
  facts.entry_point = ctx.entry_point.value_or(0);
  facts.sections = ctx.sections ? ctx.sections->size() : 0;
  facts.chain = chain;
  for (auto l : s.touched) {
    const LogicalEntry &le = logicals_[l];
    std::span<std::uint32_t> counts(s.counts.data() + le.first_counter, le.sig->subsigs.size());
    std::span<std::uint64_t> lasts(s.last_start.data() + le.first_counter, counts.size());
    // PCRE subsignatures, in order, each once its trigger holds; then byte-compares, at the last
    // match start of their trigger.
    for (const PcreUnit &u : le.pcre) {
      if (!le.sig->subsigs[u.subsig].trigger().evaluate(counts))
        continue;
      std::uint32_t &count = counts[u.subsig];
      std::uint64_t &last_start = lasts[u.subsig];
      TierTimer timer(timing_, s.tier_ns[Tier::pcre]);
      u.matcher.scan(
          data, ctx,
          [&](std::uint64_t start) {
            if (last_start != kNoStart && start <= last_start)
              return true;
            ++count;
            last_start = start;
            return count < u.cap;
          },
          release);
    }
    for (auto b : le.byte_compares) {
      const auto &bc = le.sig->subsigs[b].byte_compare();
      if (counts[bc.trigger] == 0 || counts[b] > 0)
        continue;
      const std::uint64_t start = lasts[bc.trigger];
      if (byte_compare_matches(bc, data, std::span<const std::uint64_t>(&start, 1))) {
        counts[b] = 1;
        lasts[b] = start;
      }
    }
    if (!le.sig->expression.evaluate(counts) || !tdb_holds(le.sig->tdb, facts))
      continue;
    out.push_back(Detection{le.sig->name, le.sig->origin, Detection::Kind::logical, std::nullopt});
    if (!allmatch)
      return;
  }
}

void Engine::scan_group(const Group &g, std::span<const std::uint8_t> data,
                        const OffsetContext &ctx, bool allmatch, Scratch &s,
                        std::vector<Detection> &out, const ReleaseFn &release,
                        ContainerChain chain) const {
  auto stop = [&] { return !allmatch && !out.empty(); };
  const std::uint64_t last = data.empty() ? 0 : data.size() - 1;
  ++s.epoch;
  s.pending.clear();
  s.touched.clear();
  s.sub_pending.clear();
  const std::uint32_t epoch = s.epoch;
  auto &ns = s.tier_ns;
  {
    TierTimer timer(timing_, ns[Tier::verification]);
    for (auto id : g.anchored) {
      if (verify(id, data, ctx, 0, last, out, release) && stop())
        return;
    }
  }
  {
    TierTimer timer(timing_, ns[Tier::weak]);
    for (auto id : g.weak) {
      if (verify(id, data, ctx, 0, last, out, release) && stop())
        return;
    }
  }
  {
    TierTimer timer(timing_, ns[Tier::verification]);
    for (auto id : g.subsig_anchored)
      count_subsig(id, data, ctx, 0, last, s, release);
  }
  // Atom hits: bounded-distance signatures are verified at once around the hit; those whose atom
  // may sit any distance after the start (a * or {n-} before it) are verified once after the scan,
  // over every start that could place the atom at or before its last hit. The prefilter's time is
  // the pass's minus the verification its hits call for.
  const std::uint64_t verified_before = ns[Tier::verification];
  std::uint64_t pass_ns = 0;
  if (!g.prefilter.empty()) {
    TierTimer pass(timing_, pass_ns);
    g.prefilter.scan(
        data, s.prefilter,
        [&](std::uint32_t lit, std::size_t pos) {
          for (auto id : g.entries_of(lit)) {
            if (id & kSubsigBit) {
              id &= ~kSubsigBit;
              const SubsigEntry &se = subsigs_[id];
              const AtomPlace &a = se.atom;
              if (pos < a.min_distance || !a.admits(data, pos))
                continue;
              if (s.lsig_epoch[se.lsig] == epoch && s.counts[se.counter] >= se.cap)
                continue; // counted as far as the expression can tell
              std::uint64_t hi = pos - a.min_distance;
              if (a.max_distance == Gap::kUnbounded) {
                defer(s.sub_epoch, s.sub_hi, s.sub_pending, id, epoch, hi);
                continue;
              }
              TierTimer timer(timing_, ns[Tier::verification]);
              count_subsig(id, data, ctx, pos >= a.max_distance ? pos - a.max_distance : 0, hi, s);
              continue;
            }
            if (s.seen_epoch[id] == epoch + 0x80000000u)
              continue; // already matched in this file
            const AtomPlace &a = bodies_[id].atom;
            if (pos < a.min_distance || !a.admits(data, pos))
              continue;
            std::uint64_t hi = pos - a.min_distance;
            if (a.max_distance == Gap::kUnbounded) {
              defer(s.seen_epoch, s.hi_hit, s.pending, id, epoch, hi);
              continue;
            }
            std::uint64_t lo = pos >= a.max_distance ? pos - a.max_distance : 0;
            TierTimer timer(timing_, ns[Tier::verification]);
            if (verify(id, data, ctx, lo, hi, out, release)) {
              s.seen_epoch[id] = epoch + 0x80000000u;
              if (stop())
                return false;
            }
          }
          return true;
        },
        release);
  }
  ns[Tier::prefilter] += pass_ns - std::min(pass_ns, ns[Tier::verification] - verified_before);
  if (stop())
    return;
  {
    TierTimer timer(timing_, ns[Tier::verification]);
    for (auto id : s.pending) {
      if (s.seen_epoch[id] == epoch + 0x80000000u)
        continue;
      if (verify(id, data, ctx, 0, s.hi_hit[id], out, release) && stop())
        return;
    }
    for (auto id : s.sub_pending)
      count_subsig(id, data, ctx, 0, s.sub_hi[id], s, release);
  }
  // Weak subsignatures cost a search of the whole buffer each: only for signatures whose
  // expression may still hold given what the literal pass and the anchored ones counted (an
  // untouched signature counted nothing).
  {
    TierTimer timer(timing_, ns[Tier::weak]);
    static constexpr std::array<std::uint32_t, 64> kNoCounts{};
    for (auto l : g.lsig_weak) {
      const LogicalEntry &le = logicals_[l];
      const std::size_t n = le.sig->subsigs.size();
      std::span<const std::uint32_t> counts =
          s.lsig_epoch[l] == epoch
              ? std::span<const std::uint32_t>(s.counts.data() + le.first_counter, n)
              : std::span<const std::uint32_t>(kNoCounts.data(), n);
      if (!weak_may_matter(le, counts))
        continue;
      for (auto id : le.weak)
        count_subsig(id, data, ctx, 0, last, s, release);
    }
  }
  // Logical evaluation's time is the whole step's minus the PCRE searches inside it.
  const std::uint64_t pcre_before = ns[Tier::pcre];
  std::uint64_t logical_ns = 0;
  {
    TierTimer timer(timing_, logical_ns);
    evaluate_lsigs(g, data, ctx, allmatch, s, out, chain, release);
  }
  ns[Tier::logical] += logical_ns - std::min(logical_ns, ns[Tier::pcre] - pcre_before);
}

void Engine::check_hashes(std::span<const std::uint8_t> data, bool allmatch,
                          std::vector<Detection> &out, const ReleaseFn &release) const {
  const std::uint64_t size = data.size();
  HashMask need = set_.hashes.needs(size);
  if (!need)
    return;
  Digests d = digest_bytes(data, need, release);
  std::vector<HashTable::Hit> hits;
  set_.hashes.lookup(size, d, hits);
  for (const auto &h : hits) {
    out.push_back(Detection{h.name, h.origin, Detection::Kind::hash, std::nullopt});
    if (!allmatch)
      break;
  }
}

ScanOutcome Engine::scan(std::span<const std::uint8_t> data, bool allmatch, Scratch &s,
                         const ReleaseFn &release, ContainerChain chain) const {
  if (s.owner != this) {
    s.prefilter = LiteralPrefilter::Scratch();
    for (const auto &g : groups_)
      s.prefilter.prepare(g.prefilter);
    s.seen_epoch.assign(bodies_.size(), 0);
    s.hi_hit.assign(bodies_.size(), 0);
    s.lo_hit.assign(bodies_.size(), 0);
    s.counts.assign(counters_, 0);
    s.last_start.assign(counters_, kNoStart);
    s.sub_epoch.assign(subsigs_.size(), 0);
    s.sub_hi.assign(subsigs_.size(), 0);
    s.lsig_epoch.assign(logicals_.size(), 0);
    s.epoch = 0;
    s.owner = this;
  }
  if (s.epoch > 0x7ffffff0u) {
    std::fill(s.seen_epoch.begin(), s.seen_epoch.end(), 0);
    std::fill(s.sub_epoch.begin(), s.sub_epoch.end(), 0);
    std::fill(s.lsig_epoch.begin(), s.lsig_epoch.end(), 0);
    s.epoch = 0;
  }
  ScanOutcome r;
  auto &ns = s.tier_ns;
  std::optional<TierTimer> typing(std::in_place, timing_, ns[Tier::file_typing]);
  const ClamType ctype = detect_clamav_type(data);
  r.kind = kind_of(ctype, data);
  auto done = [&] { return !allmatch && !r.detections.empty(); };

  // The buffers ClamAV scans for a file of this type: the raw bytes and/or normalised text/HTML,
  // each with the target types whose signatures run on it (see text_normalize.hpp).
  const std::vector<ScanBuffer> buffers = scan_buffers(data, ctype);
  typing.reset();
  unsigned raw_done = 0; // targets already run on the raw bytes
  for (const ScanBuffer &buf : buffers) {
    std::span<const std::uint8_t> bytes = buf.raw ? data : std::span<const std::uint8_t>(buf.data);
    // Only the file's own bytes can be released; normalised copies live on the heap.
    const ReleaseFn no_release;
    const ReleaseFn &rel = buf.raw ? release : no_release;
    if (buf.hashed) {
      TierTimer timer(timing_, ns[Tier::hashing]);
      check_hashes(bytes, allmatch, r.detections, rel);
      if (rel)
        rel(0, bytes.size());
    }
    if (done())
      break;
    OffsetContext ctx;
    ctx.file_size = bytes.size();
    ExeInfo exe;
    std::vector<OffsetContext::Section> sections;
    std::vector<std::uint64_t> version_info;
    bool wants_exe = false;
    for (TargetType t : buf.targets)
      wants_exe = wants_exe || needs_exe_[static_cast<std::size_t>(t)];
    if (buf.raw && wants_exe &&
        (r.kind == FileKind::pe || r.kind == FileKind::elf || r.kind == FileKind::macho)) {
      TierTimer timer(timing_, ns[Tier::file_typing]);
      exe = parse_exe_info(data, r.kind);
      ctx.entry_point = exe.entry_point;
      for (const auto &sec : exe.sections)
        sections.push_back({sec.raw_offset, sec.raw_size});
      ctx.sections = &sections;
      if (r.kind == FileKind::pe) {
        version_info = version_info_offsets(data, exe);
        ctx.version_info = &version_info;
      }
    }
    for (TargetType t : buf.targets) {
      // ClamAV scans binary data twice with the generic signatures; the second pass cannot find
      // anything new, so each target runs once on the file's own bytes.
      auto bit = 1u << static_cast<unsigned>(t);
      if (buf.raw && (raw_done & bit))
        continue;
      if (buf.raw)
        raw_done |= bit;
      scan_group(groups_[static_cast<std::size_t>(t)], bytes, ctx, allmatch, s, r.detections, rel,
                 chain);
      if (rel)
        rel(0, bytes.size()); // the next pass starts from the beginning again
      if (done())
        break;
    }
    if (done())
      break;
  }
  // PE section and import-table hashes, which ClamAV checks after the file's raw scan.
  if (!done() && r.kind == FileKind::pe) {
    TierTimer timer(timing_, ns[Tier::hashing]);
    std::vector<HashTable::Hit> hits;
    check_pe_hashes(data, set_.sections, set_.imports, allmatch, hits, release);
    for (const auto &h : hits)
      r.detections.push_back(Detection{h.name, h.origin, Detection::Kind::hash, std::nullopt});
  }
  // A signature that matches in two buffers (e.g. both HTML normalisations) is one detection.
  if (allmatch && r.detections.size() > 1) {
    std::vector<Detection> unique;
    for (auto &d : r.detections)
      if (std::none_of(unique.begin(), unique.end(), [&](const Detection &u) {
            return u.name == d.name && u.origin.database == d.origin.database &&
                   u.origin.line == d.origin.line;
          }))
        unique.push_back(d);
    r.detections = std::move(unique);
  }

  // Allow-lists cancel detections of a file whose whole-file hash they name (ClamAV's .fp/.sfp).
  if (!r.detections.empty() && !set_.allow.empty()) {
    if (HashMask need = set_.allow.needs(data.size())) {
      TierTimer timer(timing_, ns[Tier::hashing]);
      Digests d = digest_bytes(data, need, release);
      std::vector<HashTable::Hit> hits;
      set_.allow.lookup(data.size(), d, hits);
      if (!hits.empty()) {
        r.detections.clear();
        r.allowlisted = true;
      }
    }
  }
  if (timing_) {
    for (std::size_t t = 0; t < kTierCount; ++t) {
      tier_ns_[t].fetch_add(ns[t], std::memory_order_relaxed);
      ns[t] = 0;
    }
    timed_files_.fetch_add(1, std::memory_order_relaxed);
  }
  return r;
}

Engine::ScanTimes Engine::scan_times() const {
  auto sec = [&](std::size_t t) {
    return static_cast<double>(tier_ns_[t].load(std::memory_order_relaxed)) * 1e-9;
  };
  ScanTimes r;
  r.files = timed_files_.load(std::memory_order_relaxed);
  r.file_typing = sec(Tier::file_typing);
  r.hashing = sec(Tier::hashing);
  r.prefilter = sec(Tier::prefilter);
  r.verification = sec(Tier::verification);
  r.weak = sec(Tier::weak);
  r.pcre = sec(Tier::pcre);
  r.logical = sec(Tier::logical);
  return r;
}

} // namespace vg
