// logical_signature.hpp — a ClamAV .ldb logical signature, parsed (see logical_line.hpp for the
// parser and the load rules).
// Subsignature kinds:
//  - body: ClamAV's hex grammar with offset and the modifiers i w f a (BodyPatternOptions);
//  - pcre ("Trigger/regex/flags", pcre_subsignature.hpp; its trigger may name only earlier
//    subsignatures) and byte_compare ("Trigger(Offset#Options#Comparisons)",
//    byte_compare_subsignature.hpp; its trigger must be an earlier body subsignature);
//  - macro ("${min-max}group$") and fuzzy_image ("fuzzy_img#..."): recognised and checked.
// Known limitations (the engine never reports such a signature, so they cannot cause a false
// match): macro and fuzzy-image subsignatures, IconGroup1/2 (needs .idb icon data) and HandlerType
// (a re-scan of the file as another type) are not evaluated.
#pragma once
#include "common/boxed_value.hpp"
#include "signatures/body_pattern.hpp"
#include "signatures/byte_compare_subsignature.hpp"
#include "signatures/logical_expression.hpp"
#include "signatures/offset_spec.hpp"
#include "signatures/packed_pattern.hpp"
#include "signatures/pcre_subsignature.hpp"
#include "signatures/sig_origin.hpp"
#include "signatures/target_description.hpp"

#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace vg {

// The packed patterns of a body subsignature: one, or two for ::wa. Held inline (16 bytes, no
// allocation of its own): size() counts the leading non-empty patterns, so push_back() refuses an
// empty pattern (no body pattern is empty) and a third one.
class SubsignaturePatterns {
public:
  static constexpr std::size_t kMax = 2;
  std::size_t size() const { return p_[0].empty() ? 0 : p_[1].empty() ? 1 : 2; }
  bool empty() const { return p_[0].empty(); }
  const PackedPattern &operator[](std::size_t i) const { return p_[i]; }
  // Mutable access (the engine moves the patterns into its matchers: take size() first).
  PackedPattern &operator[](std::size_t i) { return p_[i]; }
  const PackedPattern *begin() const { return p_; }
  const PackedPattern *end() const { return p_ + size(); }
  void push_back(PackedPattern p);
  void clear() { *this = SubsignaturePatterns(); }
  friend bool operator==(const SubsignaturePatterns &a, const SubsignaturePatterns &b) {
    return a.p_[0] == b.p_[0] && a.p_[1] == b.p_[1];
  }

private:
  PackedPattern p_[kMax];
};

// Real databases hold hundreds of thousands of subsignatures, nearly all of them body ones: the
// PCRE and byte-compare parts live in a separate allocation (behind one pointer) that only those
// kinds have, so a body subsignature costs 56 bytes plus its packed patterns. A copy copies it.
// The field's text is not kept: nothing reads it once parsed (the engine shares repeated patterns
// by their packed bytes), and it was a tenth of a full database's decoded set.
struct LogicalSubsignature {
  enum class Kind : std::uint8_t { body, pcre, byte_compare, macro, fuzzy_image };
  Kind kind = Kind::body;
  BodyPatternOptions options;    // body
  OffsetSpec offset;             // body
  SubsignaturePatterns patterns; // body: one, or two for ::wa (wide first)

  // pcre (parse_pcre_subsignature), and its trigger over earlier subsignatures; empty otherwise.
  const PcreSubsignature &pcre() const { return parts().pcre; }
  const LogicalExpression &trigger() const { return parts().trigger; }
  // byte_compare (its trigger: an earlier body subsignature); empty otherwise.
  const ByteCompareSubsignature &byte_compare() const { return parts().byte_compare; }
  void set_pcre(PcreSubsignature pcre, LogicalExpression trigger);
  void set_byte_compare(ByteCompareSubsignature byte_compare);

private:
  struct Parts {
    PcreSubsignature pcre;
    LogicalExpression trigger;
    ByteCompareSubsignature byte_compare;
  };
  const Parts &parts() const;
  BoxedValue<Parts> parts_; // unset for body, macro and fuzzy-image subsignatures
};

struct LogicalSignature {
  std::string name;
  TargetDescription tdb;
  LogicalExpression expression;
  std::vector<LogicalSubsignature> subsigs;
  SigOrigin origin;
};

} // namespace vg
