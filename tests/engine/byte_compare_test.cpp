// Byte-compare subsignatures: the .ldb field parser (ClamAV's load rules) and the evaluation
// (extraction and comparisons), with cases observed on clamscan 1.4.6. (byte_compare_clamscan_test
// runs a random differential against the installed clamscan.)
#include "engine/byte_compare.hpp"
#include "signatures/byte_compare_subsignature.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace vg {
namespace {

using Enc = ByteCompareSubsignature::Encoding;
using End = ByteCompareSubsignature::Endian;

std::span<const std::uint8_t> bytes(const std::string &s) {
  return {reinterpret_cast<const std::uint8_t *>(s.data()), s.size()};
}

ByteCompareSubsignature sig(const std::string &field) {
  auto p = parse_byte_compare_subsignature(field);
  EXPECT_TRUE(p.ok()) << field << ": " << p.error;
  return p.sig;
}

std::optional<std::int64_t> value(const std::string &field, const std::string &data,
                                  std::uint64_t trigger) {
  return byte_compare_extract(sig(field), bytes(data), trigger);
}

TEST(ByteCompareParse, TheDocumentedForm) {
  auto s = sig("2(<<0x10#hle4#>0x100,<0x200)");
  EXPECT_EQ(s.trigger, 2u);
  EXPECT_EQ(s.offset, -16);
  EXPECT_EQ(s.encoding, Enc::hex);
  EXPECT_EQ(s.endian, End::little);
  EXPECT_TRUE(s.exact);
  EXPECT_EQ(s.byte_count, 4u);
  ASSERT_EQ(s.comparisons.size(), 2u);
  EXPECT_EQ(s.comparisons[0], (ByteCompareSubsignature::Comparison{'>', 0x100}));
  EXPECT_EQ(s.comparisons[1], (ByteCompareSubsignature::Comparison{'<', 0x200}));

  s = sig("0(>>26#ib2#=-5)");
  EXPECT_EQ(s.offset, 26);
  EXPECT_EQ(s.encoding, Enc::binary);
  EXPECT_EQ(s.endian, End::big);
  EXPECT_EQ(s.comparisons.at(0).value, -5);

  s = sig("1(0#d3#=567)"); // decimal implies big endian; offset "0"
  EXPECT_EQ(s.offset, 0);
  EXPECT_EQ(s.encoding, Enc::decimal);
  EXPECT_EQ(s.endian, End::big);
  s = sig("1(#a010#=8)"); // empty offset; byte count read as strtol(…, 0): octal 010
  EXPECT_EQ(s.byte_count, 8u);
  EXPECT_EQ(s.encoding, Enc::automatic);
  s = sig("1(>>4#eh0x12#=0)");
  EXPECT_EQ(s.byte_count, 18u);
  EXPECT_TRUE(s.exact);
}

TEST(ByteCompareParse, RejectsWhatClamAVRefuses) {
  for (std::string bad :
       std::vector<std::string>{"0(>>4#dl4#=1)",       // decimal is big endian only
                                "0(>>4#ld4#=1)",       // the same, other order
                                "0(>>4#hd4#=1)",       // two encodings
                                "0(>>4#lb4#=1)",       // two byte orders
                                "0(>>4#il3#=1)",       // binary reads 1, 2, 4 or 8 bytes
                                "0(>>4#ib16#=1)",      // …at most 8
                                "0(>>4#hb19#=1)",      // hex text at most 18 bytes
                                "0(>>4#hb0#=1)",       // at least one byte
                                "0(>>4#hbx#=1)",       // option letter x
                                "0(>>4#hb#=1)",        // no byte count
                                "0(>>4#hb4x#=1)",      // junk after the count
                                "0(>4#hb4#=1)",        // > instead of >>
                                "0(4#hb4#=1)",         // no shift operator
                                "0(>>4z#hb4#=1)",      // junk after the offset
                                "0(>>4#hb4#!1)",       // comparison symbol
                                "0(>>4#hb4#=1,<2,>0)", // at most two comparisons
                                "0(>>4#hb4#=1x)",      // junk in the value
                                "0(>>4#hb4)",          // two parameters
                                "0(>>4#hb4#=1#2)",     // four parameters
                                "0(>>4#hb4#=1",        // no ')'
                                "0>>4#hb4#=1)",        // no '('
                                "65(>>4#hb4#=1)",      // beyond ClamAV's 64 subsignatures
                                "x(>>4#hb4#=1)",       // trigger not a number
                                std::string("0(>>4#hb4#=1\0)", 14)}) {
    auto p = parse_byte_compare_subsignature(bad);
    EXPECT_FALSE(p.ok()) << bad;
    EXPECT_NE(p.error.find("byte-compare subsignature"), std::string::npos) << p.error;
  }
  // ClamAV accepts these oddities, so must we: no trigger digits (subsignature 0), ">>" alone,
  // an empty comparison value (0), anything after the first ')'.
  EXPECT_EQ(sig("(>>4#hb4#=1)").trigger, 0u);
  EXPECT_EQ(sig("0(>>#hb4#=1)").offset, 0);
  EXPECT_EQ(sig("0(>>4#hb4#=)").comparisons.at(0).value, 0);
  EXPECT_TRUE(parse_byte_compare_subsignature("0(>>4#hb4#=1)junk").ok());
}

TEST(ByteCompareParse, WhichFieldsAreByteCompare) {
  EXPECT_TRUE(looks_like_byte_compare_subsignature("0(>>4#hb4#=1)"));
  EXPECT_FALSE(looks_like_byte_compare_subsignature("0(>>4#hb4=1)"));  // one '#'
  EXPECT_FALSE(looks_like_byte_compare_subsignature("aabb(cc|dd)ee")); // a body pattern
  EXPECT_FALSE(looks_like_byte_compare_subsignature(">>4#hb4#=1"));    // no '('
}

// Observed with clamscan 1.4.6 on "AAAA\x41BBBB1234567 zz" and "XYZW\x41MNOPqq".
TEST(ByteCompare, ExtractionAsClamscan) {
  const std::string d = "AAAA\x41"
                        "BBBB1234567 zz";
  EXPECT_EQ(value("0(>>4#hb4#=0)", d, 5), 0x1234);       // H1 found with =0x1234
  EXPECT_EQ(value("0(>>4#hl4#=0)", d, 5), 0x3412);       // H2: byte pairs reversed
  EXPECT_EQ(value("0(>>4#h4#=0)", d, 5), std::nullopt);  // H3: hex without l/b never compares
  EXPECT_EQ(value("0(>>8#d3#=0)", d, 5), 567);           // D1
  EXPECT_EQ(value("0(>>8#de4#=0)", d, 5), std::nullopt); // D2: "567 " is not 4 exact digits
  EXPECT_TRUE(byte_compare_at(sig("0(>>4#hb4#>0x1000,<0x2000)"), bytes(d), 5));  // T1
  EXPECT_FALSE(byte_compare_at(sig("0(>>4#hb4#>0x1000,<0x1234)"), bytes(d), 5)); // T2

  // File position 0 is never compared, nor anything before it.
  const std::string z = "XYZW\x41MNOPqq";
  EXPECT_FALSE(byte_compare_at(sig("0(>>0#ib1#=88)"), bytes(z), 0)); // P0
  EXPECT_TRUE(byte_compare_at(sig("0(>>1#ib1#=89)"), bytes(z), 0));  // P1
  EXPECT_FALSE(byte_compare_at(sig("0(<<5#ib1#=88)"), bytes(z), 5)); // Q0
  EXPECT_TRUE(byte_compare_at(sig("0(<<4#ib1#=89)"), bytes(z), 5));  // Q1
  EXPECT_FALSE(byte_compare_at(sig("0(<<6#ib1#>0)"), bytes(z), 5));  // Q2
}

// Observed with clamscan 1.4.6: "xxxxAAAA\x05" … "AAAA\x06": `0(>>4#ib1#=6)` fires, `=5` does not
// — only the last match of the trigger subsignature is evaluated.
TEST(ByteCompare, OnlyTheLastTriggerMatchCounts) {
  std::string d = "xxxxAAAA\x05yyyyyyyyyyyyyyyyyyyyAAAA\x06zzzz";
  std::vector<std::uint64_t> starts = {29, 4}; // "AAAA" at 4 and 29, in any order
  EXPECT_TRUE(byte_compare_matches(sig("0(>>4#ib1#=6)"), bytes(d), starts));
  EXPECT_FALSE(byte_compare_matches(sig("0(>>4#ib1#=5)"), bytes(d), starts));
  EXPECT_TRUE(byte_compare_at(sig("0(>>4#ib1#=5)"), bytes(d), 4));
  EXPECT_FALSE(byte_compare_matches(sig("0(>>4#ib1#=5)"), bytes(d), {}));
}

TEST(ByteCompare, BinaryWidthsAndOrders) {
  std::string d = std::string("T\x01\x02\x03\x04\x05\x06\x07\x08", 9);
  EXPECT_EQ(value("0(>>1#ib1#=0)", d, 0), 0x01);
  EXPECT_EQ(value("0(>>1#il2#=0)", d, 0), 0x0201);
  EXPECT_EQ(value("0(>>1#ib2#=0)", d, 0), 0x0102);
  EXPECT_EQ(value("0(>>1#il4#=0)", d, 0), 0x04030201);
  EXPECT_EQ(value("0(>>1#ib8#=0)", d, 0), 0x0102030405060708);
  EXPECT_EQ(value("0(>>1#i4#=0)", d, 0), std::nullopt);  // binary needs l or b
  EXPECT_EQ(value("0(>>2#ib8#=0)", d, 0), std::nullopt); // one byte short of the end
  std::string ff(9, '\xff');
  EXPECT_EQ(value("0(>>1#ib8#=0)", ff, 0), -1); // 8 bytes read as a signed 64-bit value
}

TEST(ByteCompare, TextForms) {
  // Leading whitespace is skipped (and fails `e`); digits stop at the first non-digit.
  EXPECT_EQ(value("0(>>1#d5#=0)", "T  42x", 0), 42);
  EXPECT_EQ(value("0(>>1#de5#=0)", "T  425", 0), std::nullopt);
  EXPECT_EQ(value("0(>>1#de3#=0)", "T425", 0), 425);
  EXPECT_EQ(value("0(>>1#d3#=0)", "T-25", 0), -25);
  EXPECT_EQ(value("0(>>1#hb6#=0)", "T0x00ff", 0), 0xff);
  // Auto: "0x" decides hex, anything else decimal; fewer than 3 bytes decide nothing.
  EXPECT_EQ(value("0(>>1#ab4#=0)", "T0x1f", 0), 0x1f);
  EXPECT_EQ(value("0(>>1#ab4#=0)", "T0123", 0), 123);
  EXPECT_EQ(value("0(>>1#ab2#=0)", "T12", 0), std::nullopt);
  EXPECT_EQ(value("0(>>1#al4#=0)", "T1234", 0), std::nullopt); // decimal little endian
  EXPECT_EQ(value("0(>>1#al4#=0)", "T0x12", 0), 0x12);
  // Little-endian hex: odd lengths gain a leading '0'; a pair with a non-hex byte zeroes the
  // reversed text built so far (the pairs after it), the pairs before it survive — clamscan 1.4.6:
  // "12zz56" as hl6 is 18 (0x12), "0x12" as al4 is 18.
  EXPECT_EQ(value("0(>>1#hl3#=0)", "T123", 0), 0x2301);
  EXPECT_EQ(value("0(>>1#hle3#=0)", "T123", 0), std::nullopt);
  EXPECT_EQ(value("0(>>1#hl1#=0)", "T7", 0), 7);
  EXPECT_EQ(value("0(>>1#hl6#=0)", "T12zz56", 0), 0x12);
  // All blank: no digits, value 0 (without `e`).
  EXPECT_EQ(value("0(>>1#hb3#=0)", "T   ", 0), 0);
  // Overflow never compares.
  EXPECT_EQ(value("0(>>1#hb18#=0)", "T0xffffffffffffffff", 0), std::nullopt);
}

TEST(ByteCompare, HostileOffsetsStayInside) {
  std::string d = "0123456789";
  for (const char *f : {"0(>>9223372036854775807#ib1#=0)", "0(<<9223372036854775807#ib1#=0)",
                        "0(<<-9223372036854775808#ib1#=0)", "0(>>0xffffffffffffffff#hb18#=0)"}) {
    auto p = parse_byte_compare_subsignature(f);
    ASSERT_TRUE(p.ok()) << f << ": " << p.error;
    EXPECT_FALSE(byte_compare_at(p.sig, bytes(d), 3)) << f;
    EXPECT_FALSE(byte_compare_at(p.sig, bytes(d), ~std::uint64_t{0})) << f;
  }
}

} // namespace
} // namespace vg
