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
#include "signatures/body_pattern.hpp"
#include "signatures/byte_compare_subsignature.hpp"
#include "signatures/logical_expression.hpp"
#include "signatures/offset_spec.hpp"
#include "signatures/pcre_subsignature.hpp"
#include "signatures/sig_origin.hpp"
#include "signatures/target_description.hpp"

#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace vg {

struct LogicalSubsignature {
  enum class Kind : std::uint8_t { body, pcre, byte_compare, macro, fuzzy_image };
  Kind kind = Kind::body;
  std::string text;                     // the field as written (pcre/byte_compare parsers take it)
  OffsetSpec offset;                    // body
  BodyPatternOptions options;           // body
  std::vector<BodyPattern> patterns;    // body: one, or two for ::wa (wide first)
  PcreSubsignature pcre;                // pcre (parse_pcre_subsignature)
  LogicalExpression trigger;            // pcre: its trigger, over earlier subsignatures
  ByteCompareSubsignature byte_compare; // byte_compare (its trigger: an earlier body subsig)
};

struct LogicalSignature {
  std::string name;
  TargetDescription tdb;
  LogicalExpression expression;
  std::vector<LogicalSubsignature> subsigs;
  SigOrigin origin;
};

} // namespace vg
