#include "engine/logical_conditions.hpp"

namespace vg {

namespace {

constexpr std::string_view kAny = "CL_TYPE_ANY";

} // namespace

std::optional<ClamType> clamav_type_from_name(std::string_view name) {
  for (unsigned v = 0; v <= static_cast<unsigned>(ClamType::ignored); ++v) {
    auto t = static_cast<ClamType>(v);
    if (name == clamav_type_name(t))
      return t;
  }
  return std::nullopt;
}

bool chain_layer_is(ContainerChain chain, std::size_t parent_index, std::string_view name) {
  if (parent_index == 0 || parent_index > chain.size())
    return name == kAny; // libclamav: a layer below the outermost file has type CL_TYPE_ANY
  auto t = clamav_type_from_name(name);
  return t && *t == chain[chain.size() - parent_index];
}

bool tdb_evaluable(const TargetDescription &tdb) {
  const auto &rare = tdb.rare();
  return !(rare.icon_group1 || rare.icon_group2 || rare.handler_type);
}

bool tdb_holds(const TargetDescription &tdb, const LogicalFileFacts &f) {
  if (!tdb_evaluable(tdb))
    return false;
  const auto &rare = tdb.rare();
  if (rare.container && !chain_layer_is(f.chain, 1, *rare.container))
    return false;
  if (!rare.intermediates.empty()) {
    if (f.chain.size() < rare.intermediates.size())
      return false;
    std::size_t up = 1; // the next ancestor to compare, 1 = direct parent
    for (auto it = rare.intermediates.rbegin(); it != rare.intermediates.rend(); ++it) {
      if (*it == kAny)
        continue;
      if (!chain_layer_is(f.chain, up++, *it))
        return false;
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
