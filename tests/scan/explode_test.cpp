// PKWARE Implode decoder: streams written with APPNOTE's own Shannon-Fano code assignment (two
// and three trees, 4 KiB and 8 KiB dictionaries, uneven trees, length 63 + extra byte, matches
// before the start of the output), truncated streams, bad trees, the declared size and the limit.
#include "common/error.hpp"
#include "scan/containers/explode.hpp"
#include "scan/zip_stream_writer.hpp"

#include <gtest/gtest.h>

#include <string>

namespace vg {
namespace {

using test::ImplodeWriter;
using Bytes = std::vector<std::uint8_t>;

constexpr std::uint16_t k8k = 2, kLiteralTree = 4;

std::vector<unsigned> flat(unsigned n, unsigned len) {
  return std::vector<unsigned>(n, len);
}
// A complete but uneven 64-value tree: value 0 has 1 bit, 1-62 have 7 bits, 63 has 6 bits.
std::vector<unsigned> uneven64() {
  auto t = flat(64, 7);
  t[0] = 1;
  t[63] = 6;
  return t;
}
// A complete uneven 256-value literal tree: 'e' and ' ' short, the rest longer.
std::vector<unsigned> uneven256() {
  // 2 codes of 2 bits (1/2), 254 codes filling the other half: 252 of 9 bits (252/512) and
  // 2 of 8 bits (4/512) -> 256/512.
  auto t = flat(256, 9);
  t[' '] = 2, t['e'] = 2, t[0] = 8, t[255] = 8;
  return t;
}

void copy_back(Bytes &out, std::size_t dist, std::size_t len) {
  for (std::size_t i = 0; i < len; ++i)
    out.push_back(dist > out.size() ? 0 : out[out.size() - dist]);
}

// Writes `text` as literals, then a few matches, recording the expected output.
struct Case {
  Bytes stream, expected;
};
Case sample(ImplodeWriter w, bool dict8k, unsigned min_match) {
  Case c;
  const std::string text = "seventeen eerie trees, seventeen eerie trees! ";
  for (char ch : text) {
    w.literal(static_cast<std::uint8_t>(ch));
    c.expected.push_back(static_cast<std::uint8_t>(ch));
  }
  w.match(static_cast<std::uint32_t>(text.size()), min_match); // shortest match
  copy_back(c.expected, text.size(), min_match);
  w.match(1, min_match + 62); // length code 62: no extra byte
  copy_back(c.expected, 1, min_match + 62);
  w.match(7, min_match + 63 + 200); // length code 63 + extra byte 200
  copy_back(c.expected, 7, min_match + 63 + 200);
  w.match(20, min_match + 63 + 255); // the longest match
  copy_back(c.expected, 20, min_match + 63 + 255);
  const std::uint32_t far = dict8k ? 8000 : 4000; // reaches before the start: zeros
  w.match(far, 40);
  copy_back(c.expected, far, 40);
  w.literal('!');
  c.expected.push_back('!');
  c.stream = w.w.bytes();
  return c;
}

void expect_decodes(const Case &c, std::uint16_t flags) {
  auto d = explode(c.stream, flags, c.expected.size(), 1 << 20);
  EXPECT_FALSE(d.cut);
  EXPECT_EQ(d.consumed, c.stream.size());
  ASSERT_EQ(d.bytes.size(), c.expected.size());
  EXPECT_TRUE(d.bytes == c.expected);
}

TEST(Explode, TwoTrees4kFlat) {
  expect_decodes(sample(ImplodeWriter(false, {}, flat(64, 6), flat(64, 6)), false, 2), 0);
}
TEST(Explode, TwoTrees8kUneven) {
  expect_decodes(sample(ImplodeWriter(true, {}, uneven64(), uneven64()), true, 2), k8k);
}
TEST(Explode, ThreeTrees4kLiteralTree) {
  expect_decodes(sample(ImplodeWriter(false, uneven256(), uneven64(), flat(64, 6)), false, 3),
                 kLiteralTree);
}
TEST(Explode, ThreeTrees8kLiteralTree) {
  expect_decodes(sample(ImplodeWriter(true, uneven256(), flat(64, 6), uneven64()), true, 3),
                 k8k | kLiteralTree);
}

TEST(Explode, StopsAtTheDeclaredSizeAndAtTheLimit) {
  auto c = sample(ImplodeWriter(true, uneven256(), uneven64(), uneven64()), true, 3);
  // Declared size shorter than the stream: only that many bytes.
  auto d = explode(c.stream, k8k | kLiteralTree, 10, 1 << 20);
  EXPECT_FALSE(d.cut);
  EXPECT_TRUE(d.bytes == Bytes(c.expected.begin(), c.expected.begin() + 10));
  // Limit below the declared size: cut there.
  auto e = explode(c.stream, k8k | kLiteralTree, c.expected.size(), 100);
  EXPECT_TRUE(e.cut);
  EXPECT_TRUE(e.bytes == Bytes(c.expected.begin(), c.expected.begin() + 100));
}

std::string error_of(const Bytes &s, std::uint16_t flags, std::uint64_t size) {
  try {
    explode(s, flags, size, 1 << 20);
  } catch (const Error &e) {
    return e.what();
  }
  return "";
}

TEST(Explode, EveryTruncationIsAnError) {
  auto c = sample(ImplodeWriter(false, uneven256(), uneven64(), uneven64()), false, 3);
  for (std::size_t n = 0; n < c.stream.size(); ++n) {
    Bytes cut(c.stream.begin(), c.stream.begin() + static_cast<std::ptrdiff_t>(n));
    auto err = error_of(cut, kLiteralTree, c.expected.size());
    EXPECT_NE(err.find("truncated"), std::string::npos) << n << " bytes: " << err;
  }
  // A declared size larger than the stream holds is also a truncation.
  EXPECT_NE(error_of(c.stream, kLiteralTree, c.expected.size() + 1).find("truncated"),
            std::string::npos);
}

TEST(Explode, BadTreesNameTheReason) {
  auto with_trees = [](std::vector<std::uint8_t> len_tree, std::vector<std::uint8_t> dist_tree) {
    Bytes s;
    s.insert(s.end(), len_tree.begin(), len_tree.end());
    s.insert(s.end(), dist_tree.begin(), dist_tree.end());
    s.insert(s.end(), 16, 0xFF);
    return error_of(s, 0, 4);
  };
  const auto ok = test::describe_tree(flat(64, 6));
  EXPECT_NE(with_trees(test::describe_tree(flat(64, 5)), ok).find("length tree is over-subscribed"),
            std::string::npos);
  EXPECT_NE(with_trees(ok, test::describe_tree(flat(64, 7))).find("distance tree is incomplete"),
            std::string::npos);
  EXPECT_NE(with_trees(test::describe_tree(flat(63, 6)), ok)
                .find("length tree describes 63 values, not 64"),
            std::string::npos);
  EXPECT_NE(with_trees(test::describe_tree(flat(65, 6)), ok)
                .find("length tree describes more than 64 values"),
            std::string::npos);
  EXPECT_NE(error_of({}, kLiteralTree, 1).find("implode stream at byte 0"), std::string::npos);
}

TEST(Explode, LongRunIsBoundedByTheLimit) {
  // Each 321-byte match costs about 2 bytes: a 4 MB declared size from ~25 KB, limit 64 KiB.
  ImplodeWriter w(false, {}, flat(64, 6), flat(64, 6));
  w.literal('R');
  for (int i = 0; i < 13000; ++i)
    w.match(1, 2 + 63 + 255);
  auto d = explode(w.w.bytes(), 0, 13000u * 320 + 1, 1 << 16);
  EXPECT_TRUE(d.cut);
  EXPECT_EQ(d.bytes.size(), 1u << 16);
}

} // namespace
} // namespace vg
