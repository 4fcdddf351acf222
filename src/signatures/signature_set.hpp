// signature_set.hpp — every signature loaded from the database files, before compilation.
// Promise: a plain value type: the parsers fill it, the engine compiles it; each signature
// remembers which database file (index into `databases`) and line it came from, so reports and
// errors can name it.
#pragma once
#include "common/digest.hpp"
#include "signatures/container_metadata_signature.hpp"
#include "signatures/hash_table.hpp"
#include "signatures/logical_signature.hpp"
#include "signatures/offset_spec.hpp"
#include "signatures/packed_pattern.hpp"
#include "signatures/sig_origin.hpp"
#include "signatures/target_type.hpp"

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

namespace vg {

// ClamAV's functionality level that voxguard implements (clamscan 1.4.6 reports 216). Signatures
// whose min/max level excludes it are skipped at load time, as ClamAV skips them.
constexpr unsigned kFunctionalityLevel = 216;

struct BodySignature {
  std::string name;
  TargetType target = TargetType::any;
  OffsetSpec offset;
  PackedPattern pattern; // packed: unpacked only when a matcher first needs it
  SigOrigin origin;
};

struct SignatureSet {
  std::vector<std::string> databases;     // paths of the files loaded, in load order
  HashTable hashes;                       // .hdb .hsb: whole-file hashes that detect
  HashTable allow;                        // .fp .sfp: whole-file hashes that cancel a detection
  HashTable sections;                     // .mdb .msb: PE section hashes, keyed by section size
  HashTable imports;                      // .imp: PE import-table hashes, keyed by its text's size
  std::vector<BodySignature> bodies;      // .ndb
  std::vector<LogicalSignature> logicals; // .ldb (counted in Engine::signature_count())
  std::vector<ContainerMetadataSignature> container_metadata; // .cdb: matched on container entries
  std::unordered_set<std::string> ignored; // .ign2: names (without .UNOFFICIAL) never to report
  std::uint64_t skipped_by_level = 0;      // signatures outside the functionality level
  std::vector<std::string> warnings;       // files passed over (e.g. a format not supported yet),
                                           // .ldb lines skipped for a name ClamAV does not know

  // Detecting signatures, as clamscan's "Known viruses" counts them.
  std::uint64_t signature_count() const {
    return hashes.size() + bodies.size() + sections.size() + imports.size() +
           container_metadata.size();
  }
  // Sorts the hash tables; the loader calls it once everything is read.
  void finish() {
    hashes.finish();
    allow.finish();
    sections.finish();
    imports.finish();
  }
};

} // namespace vg
