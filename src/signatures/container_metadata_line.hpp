// container_metadata_line.hpp — one line of a ClamAV .cdb file (container metadata signature):
//   VirusName:ContainerType:ContainerSize:FileNameREGEX:FileSizeInContainer:FileSizeReal:
//   IsEncrypted:FilePos:Res1:Res2[:MinFL[:MaxFL]]
// Promise: parse_cdb_line() applies libclamav 1.4's cli_loadcdb() rules and returns the signature,
// LineSkipped (MinFL above / MaxFL below kFunctionalityLevel) or LineError with the field and the
// reason (never throws, never crashes):
//  - 10 to 12 ':'-separated fields; MinFL and MaxFL are decimal numbers;
//  - ContainerType is '*' or a CL_TYPE_* name libclamav knows (an unknown name refuses the
//    database, as in ClamAV); CL_TYPE_ANY is the same as '*';
//  - ContainerSize, FileSizeInContainer, FileSizeReal, FilePos are '*', a number "n" or a range
//    "min-max" (decimal, 32 bits; stricter than ClamAV's sscanf: nothing else may follow);
//  - FileNameREGEX is '*' or a regular expression searched (unanchored) in the entry's name; it
//    must compile with PCRE2 (ClamAV uses POSIX extended syntax, which PCRE2 reads the same way
//    for everything but POSIX collating elements);
//  - IsEncrypted is '*', '0' or '1'; Res1 and Res2 are read and not used (ClamAV 1.4 ignores them).
#pragma once
#include "signatures/container_metadata_signature.hpp"
#include "signatures/signature_line.hpp"

#include <string_view>
#include <variant>

namespace vg {

std::variant<ContainerMetadataSignature, LineSkipped, LineError>
parse_cdb_line(std::string_view line);

} // namespace vg
