// atom_plan.hpp — the prefilter atoms an engine build chose, as bytes for the compiled cache.
// Promise: read_atom_plan(write_atom_plan(p), ids) == p when ids are p's entry ids, and
// write_atom_plan() is deterministic. read_atom_plan() treats its input as untrusted: the magic,
// version, record count and size must be exact, every record must name the pattern the caller
// expects at that place (a plan for another build order, or a set of another shape, is refused;
// the key, not this check, keeps a plan of another set with the same shape away), and every field
// must be one the engine could have chosen (atom at most kPlanAtomLength bytes, no leading NUL,
// unused bytes zero, at most kPlanAtomChecks checks, min_distance <= max_distance); any violation
// is a vg::Error naming the input and the reason, never a crash. Atom bytes are not checked
// against their pattern: a well-formed plan with wrong atoms can only miss matches (every hit is
// verified in full), the trust limit of the whole cache (see `voxguard scan --help`).
// atom_plan_key() derives the cache key from the signature set's content key (which covers the
// program's build identity, hence the atom choice code) and this format's version.
#pragma once
#include "engine/body_matcher.hpp"
#include "engine/compiled_cache.hpp"

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace vg {

inline constexpr std::uint32_t kAtomPlanVersion = 1;
inline constexpr std::size_t kPlanAtomLength = 8; // the prefilter looks at 8 bytes of an atom
inline constexpr std::size_t kPlanAtomChecks = 3; // bytes checked around a hit before verifying

// One pattern's prefilter atom and where its matches may start around an atom hit.
struct PlannedAtom {
  std::uint32_t entry = 0; // the pattern's id in the build (the engine's entry numbering)
  std::array<std::uint8_t, kPlanAtomLength> bytes{};
  std::uint8_t length = 0; // 0: the pattern has no usable atom
  bool caseless = false;
  std::uint32_t min_distance = 0, max_distance = 0; // max_distance may be Gap::kUnbounded
  std::array<AtomCheck, kPlanAtomChecks> checks{};
  std::uint8_t check_count = 0;
  std::span<const std::uint8_t> view() const { return {bytes.data(), length}; }
  friend bool operator==(const PlannedAtom &, const PlannedAtom &) = default;
};

std::vector<std::uint8_t> write_atom_plan(std::span<const PlannedAtom> plan);
// `entries`: the entry id the build expects at each place, in order. Throws vg::Error(name,
// reason) for bytes that are not a plan for exactly these entries.
std::vector<PlannedAtom> read_atom_plan(std::span<const std::uint8_t> bytes,
                                        std::span<const std::uint32_t> entries,
                                        const std::string &name);

CacheKey atom_plan_key(const CacheKey &set_key);

} // namespace vg
