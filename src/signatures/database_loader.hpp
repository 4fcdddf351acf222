// database_loader.hpp — reads ClamAV-format database files and directories into a SignatureSet.
// Promise: a directory loads every supported file in it (sorted by name, not recursive); a file is
// loaded by its extension. The first malformed line stops loading with vg::Error whose input is
// "FILE:LINE" and whose reason says what is wrong — as clamscan refuses a malformed database.
// Supported here: .hdb .hsb .ndb .ldb .cdb .fp .sfp .ign2 .mdb .msb .imp (other ClamAV extensions
// are recognised and reported as not supported yet; unknown extensions in a directory are ignored,
// as clamscan ignores them). ClamAV containers (.cvd .cld .cud) are checked and their members
// loaded as "CONTAINER/member" (cvd_container.hpp); of X.cvd beside X.cld only the newer is loaded.
#pragma once
#include "signatures/signature_set.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace vg {

// True when `path`'s extension is a database format this loader reads.
bool is_supported_database(std::string_view path);

// The files load_databases() reads for `paths`, in the order it reads them (directories expanded,
// superseded containers dropped, .ign2 first, then containers), and the notices about files passed
// over. Throws vg::Error for a directory that cannot be read or holds no database.
struct DatabaseFileList {
  std::vector<std::string> files;
  std::vector<std::string> warnings;
};
DatabaseFileList list_database_files(const std::vector<std::string> &paths);

// Loads the listed files into one set (the list's warnings first). Throws vg::Error.
SignatureSet load_database_files(const DatabaseFileList &list);

// Loads `paths` (files or directories) into one set: load_database_files(list_database_files()).
// Throws vg::Error.
SignatureSet load_databases(const std::vector<std::string> &paths);

// Loads one file's text (already read) into `set`; `path` names it in errors and decides the
// format. `official` is true for signatures from signed containers (no ".UNOFFICIAL" suffix).
void load_database_text(SignatureSet &set, const std::string &path, std::string_view text,
                        bool official = false);

} // namespace vg
