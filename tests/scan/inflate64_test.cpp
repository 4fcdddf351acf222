// Deflate64 decoder: streams written bit by bit (stored blocks, fixed-Huffman blocks using length
// code 285 with 16 extra bits and distance codes 30/31), zlib's dynamic-Huffman literal streams,
// truncated and corrupt streams (each a vg::Error with the reason), and the output limit.
#include "common/error.hpp"
#include "scan/containers/inflate64.hpp"
#include "scan/zip_stream_writer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <zlib.h>

namespace vg {
namespace {

using test::FixedDeflate64Writer;
using Bytes = std::vector<std::uint8_t>;

Bytes pseudo_random(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  Bytes b(n);
  for (auto &x : b)
    x = static_cast<std::uint8_t>(rng());
  return b;
}

// Reference: appends a copy of `len` bytes from `dist` back (overlapping allowed).
void copy_back(Bytes &out, std::size_t dist, std::size_t len) {
  for (std::size_t i = 0; i < len; ++i)
    out.push_back(out[out.size() - dist]);
}

std::string error_of(const Bytes &stream, std::uint64_t limit = 1 << 24) {
  try {
    inflate64(stream, limit);
  } catch (const Error &e) {
    return e.what();
  }
  return "";
}

// 65,536 bytes in two stored blocks, then a fixed block with the Deflate64-only codes:
// length 285 + 16 bits (3 + 65535 = 65538 bytes) at distance code 31 + 14 bits (65536) and
// distance code 30 + 14 bits (32769 + 1234), then ordinary literals and an end of block.
struct Deflate64Case {
  Bytes stream, expected;
};
Deflate64Case sixty_four_k_case() {
  Deflate64Case c;
  FixedDeflate64Writer w;
  Bytes first = pseudo_random(65535, 1), second = {0x5A};
  w.stored_block(false, first);
  w.stored_block(false, second);
  c.expected = first;
  c.expected.push_back(0x5A);
  w.begin_block(true);
  w.match(285, 65535, 16, 31, 16383, 14); // length 65538, distance 65536
  copy_back(c.expected, 65536, 65538);
  w.match(285, 97, 16, 30, 1234, 14); // length 100, distance 34003
  copy_back(c.expected, 32769 + 1234, 100);
  w.match(265, 1, 1, 4, 1, 1); // length 12, distance 6 (ordinary deflate codes)
  copy_back(c.expected, 6, 12);
  for (char ch : std::string("tail"))
    w.literal(static_cast<std::uint8_t>(ch)), c.expected.push_back(static_cast<std::uint8_t>(ch));
  w.end_block();
  c.stream = w.w.bytes();
  return c;
}

TEST(Inflate64, DecodesLengthCode285AndDistanceCodes30And31) {
  auto c = sixty_four_k_case();
  auto d = inflate64(c.stream, 1 << 24);
  EXPECT_FALSE(d.cut);
  EXPECT_EQ(d.consumed, c.stream.size());
  ASSERT_EQ(d.bytes.size(), c.expected.size());
  EXPECT_TRUE(d.bytes == c.expected);
}

TEST(Inflate64, FixedBlockLiteralsAndShortMatches) {
  FixedDeflate64Writer w;
  w.begin_block(true);
  Bytes expected;
  for (char ch : std::string("abc"))
    w.literal(static_cast<std::uint8_t>(ch)), expected.push_back(static_cast<std::uint8_t>(ch));
  w.match(257, 0, 0, 2, 0, 0); // length 3, distance 3
  copy_back(expected, 3, 3);
  w.match(284, 31, 5, 0, 0, 0); // length 227 + 31 = 258, distance 1
  copy_back(expected, 1, 258);
  w.literal(0xFF), expected.push_back(0xFF); // a 9-bit literal code
  w.end_block();
  auto d = inflate64(w.w.bytes(), 1 << 20);
  EXPECT_TRUE(d.bytes == expected);
}

// zlib's Huffman-only strategy writes dynamic blocks of literals, which mean the same in
// Deflate64 (only lengths and distances differ).
TEST(Inflate64, DecodesZlibDynamicHuffmanBlocks) {
  std::string text;
  for (int i = 0; i < 5000; ++i)
    text += "line " + std::to_string(i * 7919 % 1000) + " of a dynamic block\n";
  Bytes in(text.begin(), text.end());
  z_stream z{};
  ASSERT_EQ(deflateInit2(&z, 9, Z_DEFLATED, -15, 9, Z_HUFFMAN_ONLY), Z_OK);
  Bytes out(deflateBound(&z, in.size()));
  z.next_in = in.data();
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  ASSERT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  auto d = inflate64(out, 1 << 24);
  EXPECT_TRUE(d.bytes == in);
  EXPECT_EQ(d.consumed, out.size());
}

TEST(Inflate64, EveryTruncationIsAnError) {
  FixedDeflate64Writer w;
  w.stored_block(false, {1, 2, 3, 4, 5});
  w.begin_block(true);
  w.literal('x');
  w.match(285, 300, 16, 30, 0, 14); // distance 32769: beyond the output, but cut before that
  const Bytes full = w.w.bytes();
  for (std::size_t n = 0; n + 1 < full.size(); ++n) {
    Bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    std::string err = error_of(cut);
    EXPECT_NE(err.find("truncated"), std::string::npos) << n << " bytes: " << err;
  }
  // A complete stream whose final block has no end: also truncated.
  auto c = sixty_four_k_case();
  c.stream.pop_back();
  EXPECT_NE(error_of(c.stream).find("truncated"), std::string::npos);
}

TEST(Inflate64, CorruptStreamsNameTheReason) {
  EXPECT_NE(error_of({0x07}).find("invalid block type 3"), std::string::npos);
  EXPECT_NE(error_of({0x01, 0x05, 0x00, 0x00, 0x00}).find("does not match its complement"),
            std::string::npos);
  { // A match before any output.
    FixedDeflate64Writer w;
    w.begin_block(true);
    w.literal('a');
    w.match(257, 0, 0, 1, 0, 0); // distance 2 with 1 byte of output
    w.end_block();
    EXPECT_NE(error_of(w.w.bytes()).find("before the start of the output"), std::string::npos);
  }
  { // Symbol 286 is not a length in Deflate64 either.
    FixedDeflate64Writer w;
    w.begin_block(true);
    w.symbol(286);
    EXPECT_NE(error_of(w.w.bytes()).find("invalid literal/length symbol 286"), std::string::npos);
  }
  { // Dynamic block: 287 literal/length codes announced.
    test::BitWriter w;
    w.bit(1), w.bits(2, 2), w.bits(30, 5), w.bits(0, 5), w.bits(0, 4);
    EXPECT_NE(error_of(w.bytes()).find("287 literal/length codes"), std::string::npos);
  }
  { // Dynamic block whose code length code is over-subscribed (three 1-bit codes).
    test::BitWriter w;
    w.bit(1), w.bits(2, 2), w.bits(0, 5), w.bits(0, 5), w.bits(0, 4);
    w.bits(1, 3), w.bits(1, 3), w.bits(1, 3), w.bits(0, 3);
    EXPECT_NE(error_of(w.bytes()).find("code length code"), std::string::npos);
  }
}

TEST(Inflate64, BombStopsAtTheLimit) {
  // One literal, then 10,000 matches of 65,538 bytes: 655 MB from ~50 KB.
  FixedDeflate64Writer w;
  w.begin_block(true);
  w.literal('Z');
  for (int i = 0; i < 10000; ++i)
    w.match(285, 65535, 16, 0, 0, 0);
  w.end_block();
  auto d = inflate64(w.w.bytes(), 1 << 20);
  EXPECT_TRUE(d.cut);
  ASSERT_EQ(d.bytes.size(), 1u << 20);
  EXPECT_EQ(std::count(d.bytes.begin(), d.bytes.end(), 'Z'), 1 << 20);
  // Exactly at the limit: not cut.
  FixedDeflate64Writer s;
  s.begin_block(true);
  s.literal('a'), s.literal('b');
  s.end_block();
  auto e = inflate64(s.w.bytes(), 2);
  EXPECT_FALSE(e.cut);
  EXPECT_EQ(e.bytes.size(), 2u);
  EXPECT_TRUE(inflate64(s.w.bytes(), 1).cut);
}

} // namespace
} // namespace vg
