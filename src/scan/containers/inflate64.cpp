#include "scan/containers/inflate64.hpp"

#include "scan/containers/zip_huffman.hpp"

#include <array>

namespace vg {

namespace {

constexpr unsigned kLiteralCodes = 288; // 0-255 literals, 256 end of block, 257-285 lengths
constexpr unsigned kDistanceCodes = 32; // Deflate64 uses all 32
constexpr unsigned kEndOfBlock = 256;

constexpr std::array<std::uint16_t, 29> kLengthBase = {
    3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
    31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 3}; // 285: 3 + 16 bits
constexpr std::array<std::uint8_t, 29> kLengthExtra = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                                       2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 16};
constexpr std::array<std::uint32_t, kDistanceCodes> kDistanceBase = {
    1,    2,    3,    4,    5,    7,     9,     13,    17,    25,   33,
    49,   65,   97,   129,  193,  257,   385,   513,   769,   1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577, 32769, 49153};
constexpr std::array<std::uint8_t, kDistanceCodes> kDistanceExtra = {
    0, 0, 0, 0, 1, 1, 2,  2,  3,  3,  4,  4,  5,  5,  6,  6,
    7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14};
// Order in which the code length code lengths are stored.
constexpr std::array<std::uint8_t, 19> kCodeLengthOrder = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                                           11, 4,  12, 3, 13, 2, 14, 1, 15};

class Inflater {
public:
  Inflater(std::span<const std::uint8_t> in, std::uint64_t limit)
      : in_(in, "deflate64 stream"), limit_(limit) {}

  ZipDecoded run() {
    bool last = false;
    while (!last && !full_) {
      last = in_.bit() == 1;
      switch (in_.bits(2)) {
      case 0:
        stored();
        break;
      case 1:
        fixed();
        break;
      case 2:
        dynamic();
        break;
      default:
        in_.fail("invalid block type 3");
      }
    }
    out_.consumed = in_.consumed();
    return std::move(out_);
  }

private:
  // Appends one byte; false (and `cut`) once the limit is reached.
  bool put(std::uint8_t b) {
    if (out_.bytes.size() >= limit_) {
      out_.cut = full_ = true;
      return false;
    }
    out_.bytes.push_back(b);
    return true;
  }

  void stored() {
    in_.align_to_byte();
    auto header = in_.take_bytes(4);
    const unsigned len = header[0] | header[1] << 8;
    const unsigned nlen = header[2] | header[3] << 8;
    if (len != (~nlen & 0xFFFFu))
      in_.fail("stored block length " + std::to_string(len) + " does not match its complement");
    for (std::uint8_t b : in_.take_bytes(len))
      if (!put(b))
        return;
  }

  void fixed() {
    static const auto tables = [] {
      std::array<std::uint8_t, kLiteralCodes> lit{};
      for (unsigned s = 0; s < kLiteralCodes; ++s)
        lit[s] = s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8;
      std::array<std::uint8_t, kDistanceCodes> dist{};
      dist.fill(5);
      std::pair<ZipHuffman, ZipHuffman> t;
      t.first.build(lit);
      t.second.build(dist);
      return t;
    }();
    codes(tables.first, tables.second);
  }

  void dynamic() {
    const unsigned nlit = in_.bits(5) + 257;
    const unsigned ndist = in_.bits(5) + 1;
    const unsigned ncode = in_.bits(4) + 4;
    if (nlit > 286)
      in_.fail("dynamic block announces " + std::to_string(nlit) +
               " literal/length codes (286 at most)");
    std::array<std::uint8_t, 19> cl{};
    for (unsigned i = 0; i < ncode; ++i)
      cl[kCodeLengthOrder[i]] = static_cast<std::uint8_t>(in_.bits(3));
    ZipHuffman clcode;
    if (clcode.build(cl) != ZipHuffman::Shape::complete)
      in_.fail("code length code is over-subscribed or incomplete");
    std::array<std::uint8_t, kLiteralCodes + kDistanceCodes> lengths{};
    unsigned n = 0;
    while (n < nlit + ndist) {
      unsigned sym = clcode.decode(in_);
      if (sym < 16) {
        lengths[n++] = static_cast<std::uint8_t>(sym);
        continue;
      }
      std::uint8_t value = 0;
      unsigned repeat;
      if (sym == 16) {
        if (n == 0)
          in_.fail("code length repeat with no previous length");
        value = lengths[n - 1];
        repeat = 3 + in_.bits(2);
      } else if (sym == 17) {
        repeat = 3 + in_.bits(3);
      } else {
        repeat = 11 + in_.bits(7);
      }
      if (n + repeat > nlit + ndist)
        in_.fail("code length repeat runs past the " + std::to_string(nlit + ndist) + " codes");
      while (repeat--)
        lengths[n++] = value;
    }
    if (lengths[kEndOfBlock] == 0)
      in_.fail("dynamic block has no end-of-block code");
    ZipHuffman lit, dist;
    if (!usable(lit.build(std::span(lengths).first(nlit)), lit))
      in_.fail("literal/length code is over-subscribed or incomplete");
    if (!usable(dist.build(std::span(lengths).subspan(nlit, ndist)), dist))
      in_.fail("distance code is over-subscribed or incomplete");
    codes(lit, dist);
  }

  // zlib's rule: an incomplete code is allowed only when it holds a single one-bit code (or,
  // for distances, none at all).
  static bool usable(ZipHuffman::Shape shape, const ZipHuffman &h) {
    if (shape == ZipHuffman::Shape::complete)
      return true;
    return shape == ZipHuffman::Shape::incomplete && h.longest() <= 1;
  }

  void codes(const ZipHuffman &lit, const ZipHuffman &dist) {
    for (;;) {
      const unsigned sym = lit.decode(in_);
      if (sym < 256) {
        if (!put(static_cast<std::uint8_t>(sym)))
          return;
        continue;
      }
      if (sym == kEndOfBlock)
        return;
      const unsigned li = sym - 257;
      if (li >= kLengthBase.size())
        in_.fail("invalid literal/length symbol " + std::to_string(sym));
      const std::uint32_t len = kLengthBase[li] + in_.bits(kLengthExtra[li]);
      const unsigned di = dist.decode(in_);
      const std::uint32_t d = kDistanceBase[di] + in_.bits(kDistanceExtra[di]);
      const std::size_t have = out_.bytes.size();
      if (d > have)
        in_.fail("distance " + std::to_string(d) + " reaches before the start of the output (" +
                 std::to_string(have) + " bytes)");
      for (std::uint32_t i = 0; i < len; ++i)
        if (!put(out_.bytes[out_.bytes.size() - d]))
          return;
    }
  }

  ZipBitReader in_;
  std::uint64_t limit_;
  ZipDecoded out_;
  bool full_ = false;
};

} // namespace

ZipDecoded inflate64(std::span<const std::uint8_t> in, std::uint64_t limit) {
  return Inflater(in, limit).run();
}

} // namespace vg
