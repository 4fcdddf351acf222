// body_pattern.hpp — ClamAV's hex body-signature grammar, parsed into a pattern structure.
// Promise: parse_body_pattern() accepts exactly the grammar of ClamAV's
// "Signatures/BodySignatureFormat" (hex bytes, ??, a?, ?a, *, {n}, {-n}, {n-}, {n-m}, (aa|bb),
// !(aa|bb), [n-m], (B), (L), (W)) with the load-time rules of ClamAV 1.4 (every part between * and
// ranged gaps needs two consecutive fixed bytes, [n-m] only beside a single byte with m <= 32, only
// fixed-length alternations may be negated), and rejects anything else with a reason and a column
// (never throws for bad text, never crashes). Stricter than ClamAV on purpose: empty alternatives,
// "{}", "{-}" and {n-m} with n > m > 0 (ClamAV loads these but they never match). With
// BodyPatternOptions it also applies the ::i ::w ::f ::a subsignature modifiers as ClamAV does.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace vg {

// One byte position: matches b when (b & mask) == value. mask 0xff exact, 0xf0 "a?", 0x0f "?a", 0
// "??".
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

// (B) word boundary, (L) line boundary, (W) a non-alphanumeric byte — zero-width assertions about
// the byte before/after the current position, as ClamAV defines them. ClamAV treats these as
// assertions only at the start (side before) or end (side after) of a signature part; anywhere else
// they consume one byte, and the parser turns them into an Alternation of the byte class instead.
//   before: (B) file start or previous byte in {20 2d 2e 2f 3c 40 5f}; (L) file start or previous
//           byte 0a; (W) file start or previous byte not [0-9A-Za-z].
//   after:  (B) end of data or next byte in {0a 0d 20 22 27 2d 2f 3d 3e 5f}; (L) end of data, 0a or
//           0d 0a; (W) end of data or next byte not [0-9A-Za-z].
// (libclamav's boundary[] table; clamscan 1.4.6 agrees byte by byte on binary files. On text files
// clamscan also scans a normalised copy in which \t \v \f have become spaces.)
// negated inverts the test (ClamAV only honours it on the after side). wide: the ::w modifier's
// form of (W), which looks at a UTF-16LE character (alnum byte followed by 00) instead of one byte.
struct Boundary {
  enum class Kind : std::uint8_t { word, line, non_alnum } kind = Kind::word;
  enum class Side : std::uint8_t { before, after } side = Side::before;
  bool negated = false;
  bool wide = false;
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

// Logical-signature subsignature modifiers (ClamAV "::i", "::w", "::f", "::a").
struct BodyPatternOptions {
  bool nocase = false;   // i: letters match either case
  bool wide = false;     // w: every byte followed by 00 (UTF-16LE)
  bool fullword = false; // f: (W) before and after
  bool ascii = false;    // a: with w, also the plain form
};

// The patterns ClamAV derives from one subsignature and its modifiers: one, or two for "wa" (the
// wide form first, then the plain one). A match of any of them is a match of the subsignature.
struct BodyVariantsResult {
  std::vector<BodyPattern> patterns;
  std::string error;
  bool ok() const { return error.empty(); }
};

BodyVariantsResult parse_body_pattern(std::string_view hex, const BodyPatternOptions &options);

} // namespace vg
