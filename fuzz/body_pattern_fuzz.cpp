// body_pattern_fuzz.cpp — parse arbitrary text as a ClamAV body pattern; when it parses, match it
// (and its modifier variants) over a fixed buffer and check the atom's distance promise.
#include "engine/body_matcher.hpp"
#include "signatures/body_pattern.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace {

const std::vector<std::uint8_t> &buffer() {
  static const std::vector<std::uint8_t> b = [] {
    std::vector<std::uint8_t> v;
    static const char text[] =
        "MZ\x90\x00 hello world\r\nline two\n<a href=\"x\">aaaa bbbb</a> \x00\x00\xff\xff";
    for (char c : std::string_view(text, sizeof(text) - 1))
      v.push_back(static_cast<std::uint8_t>(c));
    for (int i = 0; i < 192; ++i)
      v.push_back(static_cast<std::uint8_t>(i * 37 + 11));
    return v;
  }();
  return b;
}

void exercise(const vg::BodyPattern &p) {
  vg::BodyMatcher m(p);
  const auto &data = buffer();
  auto hit = m.find(data, 0, data.size());
  if (hit && (hit->end > data.size() || hit->end < hit->start + m.min_length()))
    std::abort();
  vg::Atom a = m.choose_atom();
  if (hit && !a.bytes.empty()) {
    // Some placement of the atom inside the match must lie within the promised distances.
    bool ok = false;
    for (std::size_t q = hit->start; q + a.bytes.size() <= data.size() && !ok; ++q) {
      std::size_t d = q - hit->start;
      if (d < a.min_distance || d > a.max_distance)
        continue;
      bool eq = true;
      for (std::size_t i = 0; i < a.bytes.size() && eq; ++i) {
        std::uint8_t b = data[q + i];
        if (a.caseless && b >= 'A' && b <= 'Z')
          b = static_cast<std::uint8_t>(b | 0x20);
        eq = b == a.bytes[i];
      }
      ok = eq;
    }
    if (!ok)
      std::abort();
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  if (size > 4096)
    return 0;
  std::string_view text(reinterpret_cast<const char *>(data), size);
  auto r = vg::parse_body_pattern(text);
  if (r.ok())
    exercise(r.pattern);
  if (size > 0) {
    vg::BodyPatternOptions o;
    o.nocase = data[0] & 1;
    o.wide = data[0] & 2;
    o.fullword = data[0] & 4;
    o.ascii = data[0] & 8;
    auto v = vg::parse_body_pattern(text.substr(1), o);
    for (const auto &p : v.patterns)
      exercise(p);
  }
  return 0;
}
