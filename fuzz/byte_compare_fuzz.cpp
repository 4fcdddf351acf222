// Fuzzes the byte-compare subsignature parser and its evaluation: the input is a subsignature
// field, a NUL byte, then data; the comparison runs at every trigger offset of the data and a few
// beyond it, and with all of them at once.
#include "engine/byte_compare.hpp"
#include "signatures/byte_compare_subsignature.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  std::string_view all(reinterpret_cast<const char *>(data), size);
  auto cut = all.find('\0');
  std::string_view field = all.substr(0, cut);
  std::string_view rest = cut == std::string_view::npos ? std::string_view() : all.substr(cut + 1);
  vg::looks_like_byte_compare_subsignature(field);
  auto parsed = vg::parse_byte_compare_subsignature(field);
  if (!parsed.ok()) {
    if (parsed.error.empty())
      std::abort();
    return 0;
  }
  if (parsed.sig.comparisons.empty() || parsed.sig.comparisons.size() > 2 ||
      parsed.sig.byte_count == 0)
    std::abort();
  std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t *>(rest.data()),
                                      rest.size());
  std::vector<std::uint64_t> starts;
  for (std::uint64_t t = 0; t <= bytes.size() + 3; ++t) {
    vg::byte_compare_at(parsed.sig, bytes, t);
    starts.push_back(t);
  }
  starts.push_back(~std::uint64_t{0});
  vg::byte_compare_matches(parsed.sig, bytes, starts);
  return 0;
}
