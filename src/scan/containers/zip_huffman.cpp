#include "scan/containers/zip_huffman.hpp"

namespace vg {

ZipHuffman::Shape ZipHuffman::build(std::span<const std::uint8_t> lengths) {
  count_.fill(0);
  used_ = 0;
  longest_ = 0;
  for (std::uint8_t l : lengths) {
    ++count_[l];
    if (l != 0) {
      ++used_;
      if (l > longest_)
        longest_ = l;
    }
  }
  // Codes left unassigned at each length: negative means more codes than the length allows.
  long left = 1;
  for (unsigned len = 1; len <= kMaxBits; ++len) {
    left = left * 2 - count_[len];
    if (left < 0)
      return Shape::over_subscribed;
  }
  // Symbols in canonical order: by length, then by value.
  std::array<std::uint16_t, kMaxBits + 2> offset{};
  for (unsigned len = 1; len <= kMaxBits; ++len)
    offset[len + 1] = static_cast<std::uint16_t>(offset[len] + count_[len]);
  symbol_.assign(used_, 0);
  for (std::size_t s = 0; s < lengths.size(); ++s)
    if (lengths[s] != 0)
      symbol_[offset[lengths[s]]++] = static_cast<std::uint16_t>(s);
  return left == 0 ? Shape::complete : Shape::incomplete;
}

unsigned ZipHuffman::decode(ZipBitReader &in, bool inverted) const {
  // code: bits read so far; first: the first code of this length; index: symbols of shorter codes.
  long code = 0, first = 0, index = 0;
  const unsigned flip = inverted ? 1u : 0u;
  for (unsigned len = 1; len <= longest_; ++len) {
    code |= static_cast<long>(in.bit() ^ flip);
    const long count = count_[len];
    if (code - first < count)
      return symbol_[static_cast<std::size_t>(index + code - first)];
    index += count;
    first = (first + count) << 1;
    code <<= 1;
  }
  in.fail(used_ == 0 ? "a code is read from an empty code table" : "invalid prefix code");
}

} // namespace vg
