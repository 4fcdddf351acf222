#include "signatures/container_metadata_line.hpp"

#include "signatures/signature_set.hpp"
#include "signatures/target_description.hpp"

#include <charconv>
#include <vector>

namespace vg {

namespace {

bool decimal_u32(std::string_view s, std::uint32_t &v) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string_view::npos)
    return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && end == s.data() + s.size();
}

// "*", "n" or "min-max"; false for anything else.
bool parse_range(std::string_view s, CdbRange &r) {
  r = {};
  if (s == "*")
    return true;
  r.any = false;
  auto dash = s.find('-');
  if (dash == std::string_view::npos) {
    if (!decimal_u32(s, r.min))
      return false;
    r.max = r.min;
    return true;
  }
  return decimal_u32(s.substr(0, dash), r.min) && decimal_u32(s.substr(dash + 1), r.max);
}

} // namespace

std::variant<ContainerMetadataSignature, LineSkipped, LineError>
parse_cdb_line(std::string_view line) {
  std::vector<std::string_view> f;
  for (std::size_t start = 0;;) {
    auto p = line.find(':', start);
    f.push_back(
        line.substr(start, p == std::string_view::npos ? std::string_view::npos : p - start));
    if (p == std::string_view::npos)
      break;
    start = p + 1;
  }
  if (f.size() < 10 || f.size() > 12)
    return LineError{std::to_string(f.size()) +
                     " fields; a .cdb line has 10 to 12 (VirusName:ContainerType:ContainerSize:"
                     "FileNameREGEX:FileSizeInContainer:FileSizeReal:IsEncrypted:FilePos:Res1:"
                     "Res2[:MinFL[:MaxFL]])"};
  std::uint32_t level = 0;
  if (f.size() > 10) {
    if (!decimal_u32(f[10], level))
      return LineError{"bad minimum functionality level '" + std::string(f[10]) + "'"};
    if (level > kFunctionalityLevel)
      return LineSkipped{};
  }
  if (f.size() > 11) {
    if (!decimal_u32(f[11], level))
      return LineError{"bad maximum functionality level '" + std::string(f[11]) + "'"};
    if (level < kFunctionalityLevel)
      return LineSkipped{};
  }
  ContainerMetadataSignature s;
  if (f[0].empty())
    return LineError{"empty signature name"};
  for (unsigned char c : f[0])
    if (c < 0x20 || c == 0x7f)
      return LineError{"control character in signature name"};
  s.name = std::string(f[0]);
  if (f[1] != "*" && f[1] != "CL_TYPE_ANY") {
    if (!is_clamav_type_name(f[1]))
      return LineError{"unknown container type '" + std::string(f[1]) + "'"};
    s.container_type = std::string(f[1]);
  }
  struct RangeField {
    std::size_t index;
    const char *what;
    CdbRange &out;
  };
  for (const RangeField &r :
       {RangeField{2, "ContainerSize", s.container_size},
        RangeField{4, "FileSizeInContainer", s.size_in_container},
        RangeField{5, "FileSizeReal", s.size_real}, RangeField{7, "FilePos", s.position}})
    if (!parse_range(f[r.index], r.out))
      return LineError{std::string(r.what) + " '" + std::string(f[r.index]) +
                       "' is not '*', a number or a range min-max"};
  if (f[3] != "*") {
    if (f[3].empty())
      return LineError{"empty FileNameREGEX (use '*' for any name)"};
    auto re = EntryNameRegex::compile(f[3]);
    if (auto *why = std::get_if<std::string>(&re))
      return LineError{"FileNameREGEX '" + std::string(f[3]) + "' does not compile: " + *why};
    s.name_regex = std::get<EntryNameRegex>(std::move(re));
  }
  if (f[6] == "0" || f[6] == "1")
    s.encrypted = f[6] == "1";
  else if (f[6] != "*")
    return LineError{"IsEncrypted '" + std::string(f[6]) + "' is not '*', 0 or 1"};
  return s;
}

} // namespace vg
