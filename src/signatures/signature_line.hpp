// signature_line.hpp — parsers for one line of each ClamAV database format handled by the core.
// Promise: each parser returns the signature or a reason (never throws, never crashes on any
// input); a line skipped because of its functionality level is reported as such, not as an error.
#pragma once
#include "signatures/signature_set.hpp"

#include <string>
#include <string_view>
#include <variant>

namespace vg {

// A valid line ClamAV does not load: outside kFunctionalityLevel, or (.ldb) naming something this
// engine level does not know; `reason` says which when it is not simply the level.
struct LineSkipped {
  std::string reason;
};
struct LineError {
  std::string reason;
};

// .hdb .hsb .fp .sfp: HASH:SIZE:NAME[:MINFLEVEL[:MAXFLEVEL]]; the hash is MD5, SHA1 or SHA256 by
// its length (ClamAV accepts each in every one of these files).
std::variant<HashSignature, LineSkipped, LineError> parse_hash_line(std::string_view line);

// .ndb: NAME:TARGET:OFFSET:HEXSIG[:MINFLEVEL[:MAXFLEVEL]]
std::variant<BodySignature, LineSkipped, LineError> parse_ndb_line(std::string_view line);

// .ign2: NAME[:MD5-of-the-signature-line] — returns the name.
std::variant<std::string, LineError> parse_ign2_line(std::string_view line);

} // namespace vg
