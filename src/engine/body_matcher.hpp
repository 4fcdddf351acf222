// body_matcher.hpp — matches one ClamAV body pattern against bytes, and chooses its prefilter atom.
// Promise: find() returns the first start in [lo, hi] at which the whole pattern matches, with the
// same semantics as ClamAV's matcher (wildcards, gaps, alternations, negations, boundaries); its
// cost is bounded (no exponential backtracking). choose_atom() returns the rarest exact byte run of
// the pattern together with the distance range from the pattern's start to the atom's start, so
// that a prefilter hit at position p means a match can only start in [p - max_distance, p -
// min_distance]; it costs O(exact bytes x 16). Cost: find() is linear in (hi - lo) plus the bytes
// the pattern can span, except that after an unbounded gap (* or {n-}) it searches forward for the
// earliest end of the next piece, up to the end of the data when that piece does not occur. Memory
// is proportional to the searched window.
#pragma once
#include "signatures/body_pattern.hpp"
#include "signatures/packed_pattern.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace vg {

struct BodyMatch {
  std::size_t start = 0;
  std::size_t end = 0; // one past the last matched byte
};

struct Atom {
  std::vector<std::uint8_t> bytes; // exact bytes (empty when the pattern has no usable exact run)
  std::uint32_t min_distance = 0;  // from pattern start to atom start
  std::uint32_t max_distance = 0;  // Gap::kUnbounded when a * or {n-} precedes the atom
  double score = 0;                // higher is rarer; comparable across patterns
  // True when the pattern only fixes some letters up to case (the ::i modifier): bytes are then
  // lower case and the prefilter must match them caselessly (a caseless literal is a superset, so
  // exact letters inside the same atom stay correct).
  bool caseless = false;
};

// A byte the pattern fixes at a constant distance from its atom: every match whose atom sits at
// position p has (data[p + offset] & mask) == value (and that byte inside the data).
struct AtomCheck {
  std::int16_t offset = 0;
  std::uint8_t value = 0;
  std::uint8_t mask = 0xff;
  friend bool operator==(const AtomCheck &, const AtomCheck &) = default;
};

class BodyMatcher {
public:
  // The pattern stays packed until the first call that needs it (find, match_at, pattern,
  // min_length, choose_atom, atom_checks) unpacks it; find() also compiles its search form then,
  // once.
  explicit BodyMatcher(PackedPattern pattern);
  explicit BodyMatcher(const BodyPattern &pattern); // packs it

  // First start s with lo <= s <= hi (hi clipped to data.size()) where the pattern matches.
  std::optional<BodyMatch> find(std::span<const std::uint8_t> data, std::size_t lo,
                                std::size_t hi) const;
  // Match beginning exactly at `start`; returns the match if any.
  std::optional<BodyMatch> match_at(std::span<const std::uint8_t> data, std::size_t start) const;

  // Minimum number of bytes any match spans.
  std::size_t min_length() const;
  // The unpacked pattern (unpacked on the first call).
  const BodyPattern &pattern() const;
  const PackedPattern &packed() const;

  // At most max_length (1..16) bytes: a prefilter that only looks at 8 bytes of an atom should rank
  // candidates by their first 8 bytes.
  Atom choose_atom(std::size_t max_length = 16) const;
  // Up to `max` bytes that lie at a fixed distance from `atom` (an atom of this pattern whose start
  // is min_distance bytes after the pattern's earliest start, possibly shortened, or moved along
  // its own leading bytes) and that the prefilter has not already established: the bytes of the
  // atom's fixed stretch (no variable gap or alternation between them and the atom) outside the
  // atom, and the atom's own letters when it is caseless. The most selective bytes come first. A
  // prefilter hit that fails one of them cannot be the atom of any match, so it need not be
  // verified.
  std::vector<AtomCheck> atom_checks(const Atom &atom, std::size_t max) const;

private:
  // The packed pattern, and its unpacked and compiled forms made on demand (body_matcher.cpp),
  // immutable and shared by copies: copying a BodyMatcher costs a reference count, not the
  // pattern.
  struct Compiled;
  std::shared_ptr<const Compiled> compiled_;
};

// Byte-frequency score of a run of bytes: higher means rarer in typical files (executables, text,
// documents). Used to rank atoms. Runs of 0x00/0xFF, ASCII spaces and short runs score low.
double atom_score(std::span<const std::uint8_t> bytes);

} // namespace vg
