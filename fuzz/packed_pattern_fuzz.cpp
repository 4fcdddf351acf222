// packed_pattern_fuzz.cpp — arbitrary bytes as a packed body pattern (what a snapshot holds). When
// PackedPattern::check() accepts them, the validating constructor must too, unpack() must succeed,
// packing the result must give the same bytes, and min_length() must agree with the unpacked
// pattern; when it refuses them, the constructor must throw vg::Error with that reason.
#include "common/error.hpp"
#include "signatures/packed_pattern.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

namespace {

std::uint64_t min_length_of(const vg::BodyPattern &p) {
  std::uint64_t n = 0;
  for (const auto &el : p.elements) {
    if (const auto *r = std::get_if<vg::ByteRun>(&el)) {
      n += r->size();
    } else if (const auto *a = std::get_if<vg::Alternation>(&el)) {
      std::uint64_t lo = a->alternatives.front().size();
      if (!a->negated)
        for (const auto &alt : a->alternatives)
          lo = std::min<std::uint64_t>(lo, alt.size());
      n += lo;
    } else if (const auto *g = std::get_if<vg::Gap>(&el)) {
      n += g->min;
    }
  }
  return n;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);
  const std::string why = vg::PackedPattern::check(in);
  if (!why.empty()) {
    try {
      vg::PackedPattern p(in, "fuzz");
      std::abort(); // refused by check() but constructed
    } catch (const vg::Error &e) {
      if (e.reason().find(why) == std::string::npos)
        std::abort();
    }
    return 0;
  }
  vg::PackedPattern p(in, "fuzz");
  const vg::BodyPattern unpacked = p.unpack();
  const vg::PackedPattern again = vg::PackedPattern::pack(unpacked);
  if (!(again == p) ||
      !std::equal(in.begin(), in.end(), again.bytes().begin(), again.bytes().end()))
    std::abort();
  if (again.hash() != p.hash() || p.min_length() != min_length_of(unpacked))
    std::abort();
  return 0;
}
