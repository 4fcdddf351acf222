#include "signatures/signature_line.hpp"

#include <gtest/gtest.h>

namespace vg {
namespace {

TEST(HashLine, Md5WithSize) {
  auto r = parse_hash_line("44d88612fea8a8f36de82e1278abb02f:68:Win.Test.EICAR_HDB-1");
  auto *s = std::get_if<HashSignature>(&r);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->digest.len, 16);
  EXPECT_EQ(s->digest.hex(), "44d88612fea8a8f36de82e1278abb02f");
  EXPECT_EQ(s->size, 68u);
  EXPECT_EQ(s->name, "Win.Test.EICAR_HDB-1");
}

TEST(HashLine, Sha1AndSha256ByLength) {
  auto r1 = parse_hash_line("da39a3ee5e6b4b0d3255bfef95601890afd80709:0:Empty");
  ASSERT_TRUE(std::holds_alternative<HashSignature>(r1));
  EXPECT_EQ(std::get<HashSignature>(r1).digest.len, 20);
  auto r2 = parse_hash_line(
      "71e7b604d18aefd839e51a39c88df8383bb4c071dc31f87f00a2b5df580d4495:544:ClamAV-Test-File");
  ASSERT_TRUE(std::holds_alternative<HashSignature>(r2));
  EXPECT_EQ(std::get<HashSignature>(r2).digest.len, 32);
}

TEST(HashLine, StarSizeNeedsLevel73) {
  auto ok = parse_hash_line("44d88612fea8a8f36de82e1278abb02f:*:Any:73");
  ASSERT_TRUE(std::holds_alternative<HashSignature>(ok));
  EXPECT_EQ(std::get<HashSignature>(ok).size, HashSignature::kAnySize);
  auto bad = parse_hash_line("44d88612fea8a8f36de82e1278abb02f:*:Any");
  ASSERT_TRUE(std::holds_alternative<LineError>(bad));
  EXPECT_NE(std::get<LineError>(bad).reason.find("73"), std::string::npos);
  EXPECT_TRUE(std::holds_alternative<LineError>(
      parse_hash_line("44d88612fea8a8f36de82e1278abb02f:*:Any:72")));
}

TEST(HashLine, FunctionalityLevelsSkip) {
  EXPECT_TRUE(std::holds_alternative<LineSkipped>(
      parse_hash_line("44d88612fea8a8f36de82e1278abb02f:68:Future:9999")));
  EXPECT_TRUE(std::holds_alternative<LineSkipped>(
      parse_hash_line("44d88612fea8a8f36de82e1278abb02f:68:Past:1:100")));
  EXPECT_TRUE(std::holds_alternative<HashSignature>(
      parse_hash_line("44d88612fea8a8f36de82e1278abb02f:68:Now:73:255")));
}

TEST(HashLine, RejectsMalformed) {
  for (const char *line : {"", "abc", "44d88612fea8a8f36de82e1278abb02f:68",
                           "44d88612fea8a8f36de82e1278abb02:68:ShortHash",
                           "44d88612fea8a8f36de82e1278abb0zz:68:NotHex",
                           "44d88612fea8a8f36de82e1278abb02f:6x8:BadSize",
                           "44d88612fea8a8f36de82e1278abb02f:68:", "a:b:c:d:e:f",
                           "44d88612fea8a8f36de82e1278abb02f:68:Name:abc"}) {
    auto r = parse_hash_line(line);
    ASSERT_TRUE(std::holds_alternative<LineError>(r)) << line;
    EXPECT_FALSE(std::get<LineError>(r).reason.empty()) << line;
  }
}

TEST(NdbLine, ParsesAllFields) {
  auto r = parse_ndb_line("Win.Trojan.X-1:1:EP+0,15:83e003??35{4}89:70");
  auto *s = std::get_if<BodySignature>(&r);
  ASSERT_NE(s, nullptr) << std::get<LineError>(r).reason;
  EXPECT_EQ(s->name, "Win.Trojan.X-1");
  EXPECT_EQ(s->target, TargetType::pe);
  EXPECT_EQ(s->offset.base, OffsetSpec::Base::entry_point);
  EXPECT_EQ(s->offset.max_shift, 15u);
  EXPECT_FALSE(s->pattern.unpack().elements.empty());
}

TEST(NdbLine, LevelsAndErrors) {
  EXPECT_TRUE(std::holds_alternative<LineSkipped>(parse_ndb_line("N:0:*:41424344:999")));
  EXPECT_TRUE(std::holds_alternative<LineSkipped>(parse_ndb_line("N:0:*:41424344:51:100")));
  EXPECT_TRUE(std::holds_alternative<BodySignature>(parse_ndb_line("N:0:*:41424344:90:255")));
  for (const char *line : {"N:0:*", "N:15:*:4142", "N:x:*:4142", "N:0:EP*3:4142", "N:0:*:41zz",
                           ":0:*:4142", "N:0:*:4142:1:2:3", "N:0:*:(41|"}) {
    auto r = parse_ndb_line(line);
    ASSERT_TRUE(std::holds_alternative<LineError>(r)) << line;
  }
}

TEST(Ign2Line, NameAndOptionalMd5) {
  auto r = parse_ign2_line("Win.Trojan.Optix-1");
  ASSERT_TRUE(std::holds_alternative<std::string>(r));
  EXPECT_EQ(std::get<std::string>(r), "Win.Trojan.Optix-1");
  auto r2 = parse_ign2_line("Name:44d88612fea8a8f36de82e1278abb02f");
  ASSERT_TRUE(std::holds_alternative<std::string>(r2));
  EXPECT_TRUE(std::holds_alternative<LineError>(parse_ign2_line("Name:xyz")));
  EXPECT_TRUE(std::holds_alternative<LineError>(parse_ign2_line("a:b:c")));
}

} // namespace
} // namespace vg
