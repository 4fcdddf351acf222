#include "signatures/cvd_header.hpp"

#include "common/error.hpp"

#include <charconv>
#include <vector>

namespace vg {

namespace {

// libclamav's cli_strtok counts empty fields but returns none for them; a field that is absent or
// empty is reported by name.
std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (true) {
    auto colon = line.find(':', pos);
    out.push_back(
        line.substr(pos, colon == std::string_view::npos ? line.size() - pos : colon - pos));
    if (colon == std::string_view::npos)
      break;
    pos = colon + 1;
  }
  return out;
}

template <typename T>
T number_field(std::string_view text, const char *what, const std::string &input) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
    throw Error(input, std::string("CVD header: the ") + what + " '" + std::string(text) +
                           "' is not a decimal number");
  return value;
}

} // namespace

std::string CvdHeader::display_time() const {
  std::string t = build_time;
  if (auto dash = t.find('-'); dash != std::string::npos)
    t[dash] = ':';
  return t;
}

CvdHeader parse_cvd_header_line(std::string_view line, const std::string &input) {
  if (auto end = line.find_first_of(std::string_view("\n\r\0", 3)); end != std::string_view::npos)
    line = line.substr(0, end);
  while (!line.empty() && line.back() == ' ')
    line.remove_suffix(1);
  constexpr std::string_view magic = "ClamAV-VDB:";
  if (!line.starts_with(magic))
    throw Error(input, "not a ClamAV database container (no 'ClamAV-VDB:' header)");
  auto f = split_fields(line);
  static constexpr const char *names[] = {
      "",    "build time",        "version",     "signature count", "functionality level",
      "MD5", "digital signature", "builder name"};
  for (std::size_t i = 1; i < 8; ++i)
    if (i >= f.size() || f[i].empty())
      throw Error(input, std::string("CVD header: the ") + names[i] + " field is missing");
  CvdHeader h;
  h.build_time = std::string(f[1]);
  h.version = number_field<std::uint32_t>(f[2], "version", input);
  h.signatures = number_field<std::uint32_t>(f[3], "signature count", input);
  h.functionality_level = number_field<std::uint32_t>(f[4], "functionality level", input);
  h.md5 = std::string(f[5]);
  h.dsig = std::string(f[6]);
  h.builder = std::string(f[7]);
  if (f.size() > 8 && !f[8].empty())
    h.stime = number_field<std::uint64_t>(f[8], "build time in seconds", input);
  return h;
}

CvdHeader parse_cvd_header(std::span<const std::uint8_t> container, const std::string &input) {
  if (container.size() < kCvdHeaderSize)
    throw Error(input, "truncated: " + std::to_string(container.size()) +
                           " bytes, shorter than the 512-byte CVD header");
  return parse_cvd_header_line(
      std::string_view(reinterpret_cast<const char *>(container.data()), kCvdHeaderSize), input);
}

} // namespace vg
