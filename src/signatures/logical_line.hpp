// logical_line.hpp — parser for one line of a ClamAV .ldb file:
//   Name;TargetDescriptionBlock;LogicalExpression;Subsig0;Subsig1;...
// Promise: parse_ldb_line() applies libclamav 1.4's load_oneldb() rules in its order and returns
// the signature, LineSkipped (a valid line ClamAV does not load: functionality level, unknown TDB
// attribute or file type, target 15+), or LineError with the reason (never throws, never
// crashes). The subsignature count must equal the highest id in the expression plus one, at most
// 64. Fields are split on ';' except inside a PCRE subsignature's /regex/. Subsignatures are split
// on ':' as ClamAV does: "hex", "offset:hex", "hex::mods", "offset:hex::mods" (a field with five
// or more ':'-separated parts keeps only its first, without modifiers, as ClamAV does).
#pragma once
#include "signatures/logical_signature.hpp"
#include "signatures/signature_line.hpp"

#include <string>
#include <string_view>
#include <variant>

namespace vg {

std::variant<LogicalSignature, LineSkipped, LineError> parse_ldb_line(std::string_view line);

// Subsignature `index` of a line (exposed for tests and the fuzzer). Returns an error text or "".
std::string parse_ldb_subsignature(std::string_view field, std::size_t index,
                                   LogicalSubsignature &out);

} // namespace vg
