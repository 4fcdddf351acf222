#include "signatures/offset_spec.hpp"

#include <gtest/gtest.h>

namespace vg {
namespace {

OffsetSpec parse(const char *text) {
  auto r = parse_offset_spec(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.error;
  return r.spec;
}

TEST(OffsetSpec, ParsesEveryForm) {
  EXPECT_EQ(parse("*").base, OffsetSpec::Base::any);
  auto a = parse("100,20");
  EXPECT_EQ(a.base, OffsetSpec::Base::absolute);
  EXPECT_EQ(a.delta, 100);
  EXPECT_EQ(a.max_shift, 20u);
  auto e = parse("EOF-12");
  EXPECT_EQ(e.base, OffsetSpec::Base::eof_minus);
  EXPECT_EQ(e.delta, -12);
  EXPECT_EQ(parse("EP+5").delta, 5);
  EXPECT_EQ(parse("EP-5").delta, -5);
  auto s = parse("S2+16,4");
  EXPECT_EQ(s.base, OffsetSpec::Base::section_start);
  EXPECT_EQ(s.section, 2u);
  EXPECT_EQ(s.delta, 16);
  EXPECT_EQ(s.max_shift, 4u);
  auto se = parse("SE1");
  EXPECT_EQ(se.base, OffsetSpec::Base::section_entire);
  EXPECT_EQ(se.section, 1u);
  EXPECT_EQ(parse("SL+3").base, OffsetSpec::Base::last_section_start);
}

TEST(OffsetSpec, RejectsMalformed) {
  for (const char *t : {"", "x", "EOF+3", "EP*1", "S+1", "Sx+1", "SE", "SL-3", "10,", "10,x", "-5",
                        "EOF-", "99999999999999999999999", "S1+"}) {
    EXPECT_FALSE(parse_offset_spec(t).ok()) << t;
  }
}

TEST(OffsetSpec, ResolvesAgainstAFile) {
  std::vector<OffsetContext::Section> secs = {{0x400, 0x200}, {0x600, 0x100}};
  OffsetContext ctx;
  ctx.file_size = 0x800;
  ctx.entry_point = 0x410;
  ctx.sections = &secs;
  auto r = resolve(parse("EP+4,2"), ctx);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->lo, 0x414u);
  EXPECT_EQ(r->hi, 0x416u);
  r = resolve(parse("SE1"), ctx);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->lo, 0x600u);
  EXPECT_EQ(r->hi, 0x700u);
  r = resolve(parse("SL+8"), ctx);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->lo, 0x608u);
  r = resolve(parse("EOF-16"), ctx);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->lo, 0x7f0u);
  EXPECT_FALSE(resolve(parse("EOF-4096"), ctx)); // before the start of the file
  EXPECT_FALSE(resolve(parse("S5+0"), ctx));     // no such section
  EXPECT_FALSE(resolve(parse("EP-4096"), ctx));
  r = resolve(parse("2040,100"), ctx);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->hi, 0x7ffu); // shift clipped to the file
  EXPECT_FALSE(resolve(parse("4096"), ctx));
}

TEST(OffsetSpec, ExecutableOffsetsNeedAnExecutable) {
  OffsetContext ctx;
  ctx.file_size = 100;
  EXPECT_FALSE(resolve(parse("EP+0"), ctx));
  EXPECT_FALSE(resolve(parse("S0+0"), ctx));
  EXPECT_FALSE(resolve(parse("SL+0"), ctx));
  auto any = resolve(parse("*"), ctx);
  ASSERT_TRUE(any);
  EXPECT_EQ(any->hi, 99u);
  ctx.file_size = 0;
  EXPECT_FALSE(resolve(parse("*"), ctx));
}

} // namespace
} // namespace vg
