#include "engine/section_hash_check.hpp"

#include "engine/exe_info.hpp"
#include "engine/pe_imports.hpp"

namespace vg {

void check_pe_hashes(std::span<const std::uint8_t> data, const HashTable &sections,
                     const HashTable &imports, bool allmatch, std::vector<HashTable::Hit> &out,
                     const ReleaseFn &release) {
  if (sections.empty() && imports.empty())
    return;
  const ExeInfo exe = parse_pe_header(data);
  if (!exe.pe)
    return; // ClamAV's cli_peheader failed: no .mdb / .imp matching
  const std::size_t start = out.size();
  auto found = [&] { return !allmatch && out.size() > start; };
  auto keep_first = [&] {
    if (found())
      out.resize(start + 1);
  };
  for (const ExeSection &s : exe.sections) {
    if (!s.raw_size || s.raw_size > kMaxHashedSection || sections.empty())
      continue;
    const HashMask need = sections.needs(s.raw_size);
    if (!need)
      continue;
    const auto bytes =
        data.subspan(static_cast<std::size_t>(s.raw_offset), static_cast<std::size_t>(s.raw_size));
    ReleaseFn shifted;
    if (release)
      shifted = [&](std::size_t b, std::size_t e) {
        release(static_cast<std::size_t>(s.raw_offset) + b,
                static_cast<std::size_t>(s.raw_offset) + e);
      };
    sections.lookup(s.raw_size, digest_bytes(bytes, need, shifted), out);
    keep_first();
    if (found())
      return;
  }
  if (imports.empty() || exe.pe->pe32plus)
    return;
  const ImportTableText table = import_table_text(data, exe);
  if (!table.text)
    return;
  const std::uint64_t size = table.text->size();
  if (const HashMask need = imports.needs(size)) {
    const auto *bytes = reinterpret_cast<const std::uint8_t *>(table.text->data());
    imports.lookup(size, digest_bytes({bytes, table.text->size()}, need), out);
    keep_first();
  }
}

} // namespace vg
