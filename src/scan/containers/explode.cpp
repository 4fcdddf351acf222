#include "scan/containers/explode.hpp"

#include "scan/containers/zip_huffman.hpp"

#include <algorithm>
#include <array>
#include <string>

namespace vg {

namespace {

constexpr std::uint16_t kFlag8kDictionary = 1u << 1;
constexpr std::uint16_t kFlagLiteralTree = 1u << 2;

// Reads one Shannon-Fano tree: a byte holding the number of bytes that follow minus one, then
// per byte a run of (high nibble + 1) values with bit length (low nibble + 1).
void read_tree(ZipBitReader &in, ZipHuffman &tree, unsigned values, const char *what) {
  std::array<std::uint8_t, 256> lengths{};
  const unsigned bytes = in.bits(8) + 1;
  unsigned n = 0;
  for (unsigned i = 0; i < bytes; ++i) {
    const unsigned b = in.bits(8);
    const unsigned len = (b & 15) + 1;
    const unsigned run = (b >> 4) + 1;
    if (n + run > values)
      in.fail(std::string(what) + " tree describes more than " + std::to_string(values) +
              " values");
    std::fill_n(lengths.begin() + n, run, static_cast<std::uint8_t>(len));
    n += run;
  }
  if (n != values)
    in.fail(std::string(what) + " tree describes " + std::to_string(n) + " values, not " +
            std::to_string(values));
  switch (tree.build(std::span(lengths).first(values))) {
  case ZipHuffman::Shape::complete:
    return;
  case ZipHuffman::Shape::incomplete:
    in.fail(std::string(what) + " tree is incomplete");
  case ZipHuffman::Shape::over_subscribed:
    in.fail(std::string(what) + " tree is over-subscribed");
  }
}

} // namespace

ZipDecoded explode(std::span<const std::uint8_t> in, std::uint16_t flags, std::uint64_t size,
                   std::uint64_t limit) {
  ZipBitReader bits(in, "implode stream");
  const bool literal_tree = (flags & kFlagLiteralTree) != 0;
  const unsigned low_bits = (flags & kFlag8kDictionary) ? 7 : 6;
  const unsigned min_match = literal_tree ? 3 : 2;
  ZipHuffman literals, lengths, distances;
  if (literal_tree)
    read_tree(bits, literals, 256, "literal");
  read_tree(bits, lengths, 64, "length");
  read_tree(bits, distances, 64, "distance");

  ZipDecoded out;
  const std::uint64_t want = std::min(size, limit);
  out.cut = size > limit;
  auto &o = out.bytes;
  while (o.size() < want) {
    if (bits.bit()) {
      o.push_back(
          static_cast<std::uint8_t>(literal_tree ? literals.decode(bits, true) : bits.bits(8)));
      continue;
    }
    const std::uint32_t low = bits.bits(low_bits);
    const std::uint32_t distance = (distances.decode(bits, true) << low_bits | low) + 1;
    std::uint32_t len = lengths.decode(bits, true);
    if (len == 63)
      len += bits.bits(8);
    len += min_match;
    for (std::uint32_t i = 0; i < len && o.size() < want; ++i)
      o.push_back(distance > o.size() ? 0 : o[o.size() - distance]);
  }
  out.consumed = bits.consumed();
  return out;
}

} // namespace vg
