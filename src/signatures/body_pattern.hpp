// body_pattern.hpp — ClamAV's hex body-signature grammar, parsed into a pattern structure.
// Promise: parse_body_pattern() accepts exactly the grammar of ClamAV's "Signatures/BodySignatureFormat"
// (hex bytes, ??, a?, ?a, *, {n}, {-n}, {n-}, {n-m}, (aa|bb), !(aa|bb), [n-m], (B), (L), (W)) and
// rejects anything else with a reason (never throws for bad text, never crashes).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace vg {

// One byte position: matches b when (b & mask) == value. mask 0xff exact, 0xf0 "a?", 0x0f "?a", 0 "??".
struct ByteMatch {
  std::uint8_t value = 0;
  std::uint8_t mask = 0xff;
  bool matches(std::uint8_t b) const { return (b & mask) == value; }
  friend bool operator==(const ByteMatch &, const ByteMatch &) = default;
};

// A run of byte positions with no gaps.
using ByteRun = std::vector<ByteMatch>;

// (aa|bb|cc) or !(aa|bb): each alternative is a run; lengths may differ unless negated.
struct Alternation {
  std::vector<ByteRun> alternatives;
  bool negated = false;
  friend bool operator==(const Alternation &, const Alternation &) = default;
};

// {n-m}, [n-m], * : skip between min and max bytes (max == kUnbounded for * and {n-}).
struct Gap {
  static constexpr std::uint32_t kUnbounded = 0xffffffffu;
  std::uint32_t min = 0;
  std::uint32_t max = 0;
  friend bool operator==(const Gap &, const Gap &) = default;
};

// (B) word boundary, (L) line boundary, (W) a non-alphanumeric byte — zero-width assertions about the
// byte before/after the current position, as ClamAV defines them.
struct Boundary {
  enum class Kind : std::uint8_t { word, line, non_alnum } kind = Kind::word;
  friend bool operator==(const Boundary &, const Boundary &) = default;
};

using PatternElement = std::variant<ByteRun, Alternation, Gap, Boundary>;

struct BodyPattern {
  std::vector<PatternElement> elements;
  friend bool operator==(const BodyPattern &, const BodyPattern &) = default;
};

struct BodyParseResult {
  BodyPattern pattern;
  std::string error; // empty on success; otherwise the reason, e.g. "unbalanced '(' at column 12"
  bool ok() const { return error.empty(); }
};

BodyParseResult parse_body_pattern(std::string_view hex);

} // namespace vg
