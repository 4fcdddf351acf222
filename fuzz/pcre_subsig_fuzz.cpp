// Fuzzes the PCRE subsignature parser, PCRE2 compilation and PcreMatcher::scan: the input is a
// subsignature field, a NUL byte, then at most 4 KiB of data scanned with the field's own offset
// (and once more at a window taken from the data's first bytes).
#include "engine/pcre_matcher.hpp"
#include "signatures/pcre_subsignature.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  std::string_view all(reinterpret_cast<const char *>(data), size);
  auto cut = all.find('\0');
  std::string_view field = all.substr(0, cut);
  std::string_view rest = cut == std::string_view::npos ? std::string_view() : all.substr(cut + 1);
  if (rest.size() > 4096)
    rest = rest.substr(0, 4096);
  vg::looks_like_pcre_subsignature(field);
  auto parsed = vg::parse_pcre_subsignature(field);
  if (!parsed.ok()) {
    if (parsed.error.empty())
      std::abort();
    return 0;
  }
  auto compiled = vg::PcreMatcher::compile(parsed.sig);
  if (!compiled.ok())
    return 0;
  std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t *>(rest.data()),
                                      rest.size());
  vg::OffsetContext ctx;
  ctx.file_size = bytes.size();
  ctx.entry_point = bytes.size() / 2;
  std::uint64_t last = 0;
  bool first = true;
  auto check = [&](std::uint64_t start) {
    // Starts are ascending and inside the data (an empty match may sit at its very end).
    if (start > bytes.size() || (!first && start <= last))
      std::abort();
    first = false;
    last = start;
    return true;
  };
  compiled.matcher->scan(bytes, ctx, check);
  if (bytes.size() >= 2) {
    first = true;
    compiled.matcher->scan(bytes, vg::PcreWindow::at(bytes[0] % (bytes.size() + 2), bytes[1] % 64),
                           check);
  }
  return 0;
}
