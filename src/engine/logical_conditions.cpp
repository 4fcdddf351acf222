#include "engine/logical_conditions.hpp"

#include <utility>

namespace vg {

namespace {

struct TypeKinds {
  std::string_view name;
  FileKind kind;
  FileKind also;
};

// ClamAV types that correspond one to one with a FileKind (MSEXE: with or without a valid PE
// header).
constexpr TypeKinds kExact[] = {
    {"CL_TYPE_MSEXE", FileKind::pe, FileKind::msdos},
    {"CL_TYPE_ELF", FileKind::elf, FileKind::elf},
    {"CL_TYPE_MSOLE2", FileKind::ole2, FileKind::ole2},
    {"CL_TYPE_PDF", FileKind::pdf, FileKind::pdf},
    {"CL_TYPE_SWF", FileKind::flash, FileKind::flash},
    {"CL_TYPE_JAVA", FileKind::java, FileKind::java},
    {"CL_TYPE_GZ", FileKind::gzip, FileKind::gzip},
    {"CL_TYPE_BZ", FileKind::bzip2, FileKind::bzip2},
    {"CL_TYPE_XZ", FileKind::xz, FileKind::xz},
    {"CL_TYPE_7Z", FileKind::sevenzip, FileKind::sevenzip},
    {"CL_TYPE_RAR", FileKind::rar, FileKind::rar},
    {"CL_TYPE_MSCAB", FileKind::cab, FileKind::cab},
};

const TypeKinds *exact(std::string_view name) {
  for (const auto &t : kExact)
    if (t.name == name)
      return &t;
  return nullptr;
}

} // namespace

std::optional<bool> clamav_type_is(std::string_view name, FileKind kind) {
  const TypeKinds *t = exact(name);
  if (!t)
    return std::nullopt;
  return kind == t->kind || kind == t->also;
}

bool tdb_evaluable(const TargetDescription &tdb) {
  if (tdb.icon_group1 || tdb.icon_group2 || tdb.handler_type)
    return false;
  if (tdb.container && !exact(*tdb.container))
    return false;
  for (const auto &name : tdb.intermediates)
    if (name != "CL_TYPE_ANY" && !exact(name))
      return false;
  return true;
}

bool tdb_holds(const TargetDescription &tdb, const LogicalFileFacts &f) {
  if (!tdb_evaluable(tdb))
    return false;
  if (tdb.container) {
    if (f.chain.empty() || clamav_type_is(*tdb.container, f.chain.back()) != true)
      return false;
  }
  if (!tdb.intermediates.empty()) {
    if (f.chain.size() < tdb.intermediates.size())
      return false;
    auto layer = f.chain.end() - static_cast<std::ptrdiff_t>(tdb.intermediates.size());
    for (const auto &name : tdb.intermediates) {
      if (name != "CL_TYPE_ANY" && clamav_type_is(name, *layer) != true)
        return false;
      ++layer;
    }
  }
  if (tdb.file_size && !tdb.file_size->contains(f.size))
    return false;
  if (tdb.entry_point || tdb.number_of_sections) {
    if (!f.exe_parsed)
      return false;
    if (tdb.entry_point && !tdb.entry_point->contains(f.entry_point))
      return false;
    if (tdb.number_of_sections && !tdb.number_of_sections->contains(f.sections))
      return false;
  }
  return true;
}

} // namespace vg
