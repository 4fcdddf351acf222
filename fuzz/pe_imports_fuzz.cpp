// libFuzzer target: the PE import-table walk and the section/import hash check on arbitrary bytes.
// Tables with a `*` signature of every algorithm make every section and the import text hashed.
// Checks: the import text stays within its bound and holds only what ClamAV writes into it.
#include "engine/exe_info.hpp"
#include "engine/pe_imports.hpp"
#include "engine/section_hash_check.hpp"
#include "signatures/section_hash_line.hpp"

#include <cstdlib>
#include <string>

namespace {
vg::HashTable star_table(bool imports) {
  vg::HashTable t;
  const std::string hashes[] = {std::string(32, '0'), std::string(40, '0'), std::string(64, '0')};
  for (const auto &h : hashes) {
    auto r = imports ? vg::parse_import_hash_line(h + ":*:Star")
                     : vg::parse_section_hash_line("*:" + h + ":Star:73");
    t.add(std::get<vg::HashSignature>(r));
  }
  t.finish();
  return t;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  static const vg::HashTable sections = star_table(false), imports = star_table(true);
  const std::span<const std::uint8_t> bytes(data, size);
  const vg::ExeInfo exe = vg::parse_pe_header(bytes);
  const vg::ImportTableText t = vg::import_table_text(bytes, exe);
  if (t.text) {
    if (t.text->size() > vg::kMaxImportText + 2 * 256 + 2)
      std::abort();
    for (char c : *t.text)
      if (c >= 'A' && c <= 'Z')
        std::abort(); // lowercased
  } else if (t.reason.empty()) {
    std::abort();
  }
  std::vector<vg::HashTable::Hit> hits;
  vg::check_pe_hashes(bytes, sections, imports, true, hits);
  return 0;
}
