// section_hash_line.hpp — parsers for one line of ClamAV's PE hash databases.
// Promise: like the other line parsers (signature_line.hpp) each returns the signature, LineSkipped
// for a valid line outside the functionality level, or a reason; never throws, never crashes.
// The rules are libclamav 1.4's cli_loadhash: the size is a decimal number from 1 to 0xfffffffe or
// `*`; the hash is MD5, SHA1 or SHA256 by its length (in .mdb and .msb alike); a `*` section size
// needs a minimum functionality level of at least 73, while .imp allows `*` without one.
#pragma once
#include "signatures/signature_line.hpp"

#include <string_view>
#include <variant>

namespace vg {

// .mdb .msb: SECTIONSIZE:HASH:NAME[:MINFLEVEL[:MAXFLEVEL]] — the hash of one PE section's raw data.
std::variant<HashSignature, LineSkipped, LineError> parse_section_hash_line(std::string_view line);

// .imp: HASH:IMPORTSIZE:NAME[:MINFLEVEL[:MAXFLEVEL]] — the hash of a PE file's import table string
// (see pe_imports.hpp); IMPORTSIZE is the length of that string.
std::variant<HashSignature, LineSkipped, LineError> parse_import_hash_line(std::string_view line);

} // namespace vg
