// byte_compare_subsignature.hpp — one byte-compare subsignature field of a ClamAV .ldb line,
// `Trigger(Offset#ByteOptions#Comparisons)` (ClamAV 0.101+, docs Signatures/LogicalSignatures
// "Byte Compare Subsignatures"; libclamav matcher-byte-comp.c cli_bcomp_addpatt).
// Promise: looks_like_byte_compare_subsignature() says which fields ClamAV hands to its
// byte-compare loader; parse_byte_compare_subsignature() accepts what ClamAV 1.4 loads and rejects
// the rest with a reason (never throws for bad text, never crashes):
//   Trigger      decimal index of the subsignature whose match anchors the comparison
//   Offset       `>>n` (after) or `<<n` (before) the trigger's match start, n decimal, 0x-hex or
//                0-octal as strtol(…, 0) reads it; `0` or empty means 0
//   ByteOptions  [h|d|a|i][l|b][e]count in any order: h hex text, d decimal text (implies big
//                endian; l is refused), a hex-or-decimal decided at scan time, i raw binary
//                (count 1, 2, 4 or 8); l/b endianness; e exact; count > 0 (hex text at most 18)
//   Comparisons  one or two of `<v` `>v` `=v`, comma-separated, v as strtoll(…, 0) reads it
// Which subsignatures the trigger may name (not itself, not another byte-compare or PCRE one) is
// the caller's check: it knows the other fields of the line.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vg {

struct ByteCompareSubsignature {
  enum class Encoding : std::uint8_t { unspecified, hex, decimal, automatic, binary };
  enum class Endian : std::uint8_t { unspecified, little, big };
  struct Comparison {
    char op = '='; // '<', '>' or '='
    std::int64_t value = 0;
    friend bool operator==(const Comparison &, const Comparison &) = default;
  };

  std::uint32_t trigger = 0; // subsignature index
  std::int64_t offset = 0;   // from the trigger's match start; negative for `<<`
  Encoding encoding = Encoding::unspecified;
  Endian endian = Endian::unspecified;
  bool exact = false;
  std::uint32_t byte_count = 0;
  std::vector<Comparison> comparisons; // 1 or 2; all must hold
};

struct ByteCompareParse {
  ByteCompareSubsignature sig;
  std::string error; // empty on success; otherwise the reason
  bool ok() const { return error.empty(); }
};

// ClamAV's test, applied after the PCRE test (a field with '/' is a PCRE subsignature): the field
// contains '(' and two '#' at different places.
bool looks_like_byte_compare_subsignature(std::string_view field);

ByteCompareParse parse_byte_compare_subsignature(std::string_view field);

} // namespace vg
