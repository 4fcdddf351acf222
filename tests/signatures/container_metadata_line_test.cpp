// Tests of the .cdb line parser (libclamav cli_loadcdb rules) and of the metadata match
// (cli_matchmeta semantics), including malformed lines that must name the field and the reason.
#include "common/error.hpp"
#include "signatures/container_metadata_line.hpp"
#include "signatures/database_loader.hpp"

#include <gtest/gtest.h>

namespace vg {
namespace {

ContainerMetadataSignature parsed(std::string_view line) {
  auto r = parse_cdb_line(line);
  if (auto *e = std::get_if<LineError>(&r))
    ADD_FAILURE() << line << ": " << e->reason;
  if (auto *s = std::get_if<ContainerMetadataSignature>(&r))
    return *s;
  ADD_FAILURE() << line << ": skipped";
  return {};
}

std::string error_of(std::string_view line) {
  auto r = parse_cdb_line(line);
  if (auto *e = std::get_if<LineError>(&r))
    return e->reason;
  return "";
}

ContainerEntryFacts entry(std::string_view name, std::uint64_t packed, std::uint64_t real,
                          std::uint64_t pos, bool encrypted = false) {
  ContainerEntryFacts f;
  f.container_type = "CL_TYPE_ZIP";
  f.container_size = 625;
  f.name = name;
  f.size_in_container = packed;
  f.size_real = real;
  f.encrypted = encrypted;
  f.position = pos;
  return f;
}

TEST(CdbLine, ParsesEveryField) {
  auto s = parsed("Z.Hello:CL_TYPE_ZIP:100-700:hello\\.txt$:21:600:0:2:*:*");
  EXPECT_EQ(s.name, "Z.Hello");
  ASSERT_TRUE(s.container_type);
  EXPECT_EQ(*s.container_type, "CL_TYPE_ZIP");
  EXPECT_FALSE(s.container_size.any);
  EXPECT_EQ(s.container_size.min, 100u);
  EXPECT_EQ(s.container_size.max, 700u);
  ASSERT_TRUE(s.name_regex);
  EXPECT_EQ(s.name_regex->pattern(), "hello\\.txt$");
  EXPECT_EQ(s.size_in_container.min, 21u);
  EXPECT_EQ(s.size_real.max, 600u);
  ASSERT_TRUE(s.encrypted);
  EXPECT_FALSE(*s.encrypted);
  EXPECT_EQ(s.position.min, 2u);

  auto any = parsed("Any:*:*:*:*:*:*:*:*:*");
  EXPECT_FALSE(any.container_type);
  EXPECT_TRUE(any.container_size.any && any.size_in_container.any && any.size_real.any &&
              any.position.any);
  EXPECT_FALSE(any.name_regex);
  EXPECT_FALSE(any.encrypted);
  EXPECT_FALSE(parsed("AnyType:CL_TYPE_ANY:*:*:*:*:*:*:*:*").container_type);
}

TEST(CdbLine, FunctionalityLevels) {
  EXPECT_TRUE(std::holds_alternative<ContainerMetadataSignature>(
      parse_cdb_line("A:*:*:*:*:*:*:*:*:*:51:255")));
  EXPECT_TRUE(std::holds_alternative<LineSkipped>(parse_cdb_line("A:*:*:*:*:*:*:*:*:*:999")));
  EXPECT_TRUE(std::holds_alternative<LineSkipped>(parse_cdb_line("A:*:*:*:*:*:*:*:*:*:1:20")));
  EXPECT_NE(error_of("A:*:*:*:*:*:*:*:*:*:x"), "");
  EXPECT_NE(error_of("A:*:*:*:*:*:*:*:*:*:1:"), "");
}

TEST(CdbLine, MalformedLinesSayWhy) {
  EXPECT_NE(error_of("A:*:*:*:*:*:*:*:*").find("9 fields"), std::string::npos);
  EXPECT_NE(error_of("A:*:*:*:*:*:*:*:*:*:1:2:3").find("13 fields"), std::string::npos);
  EXPECT_NE(error_of("A:CL_TYPE_NOSUCH:*:*:*:*:*:*:*:*").find("unknown container type"),
            std::string::npos);
  EXPECT_NE(error_of("A:*:12x:*:*:*:*:*:*:*").find("ContainerSize '12x'"), std::string::npos);
  EXPECT_NE(error_of("A:*:*:*:1-:*:*:*:*:*").find("FileSizeInContainer '1-'"), std::string::npos);
  EXPECT_NE(error_of("A:*:*:*:*:-5:*:*:*:*").find("FileSizeReal '-5'"), std::string::npos);
  EXPECT_NE(error_of("A:*:*:*:*:*:*:99999999999:*:*").find("FilePos"), std::string::npos);
  EXPECT_NE(error_of("A:*:*:*:*:*:2:*:*:*").find("IsEncrypted '2'"), std::string::npos);
  EXPECT_NE(error_of("A:*:*:(ab:*:*:*:*:*:*").find("FileNameREGEX '(ab' does not compile"),
            std::string::npos);
  EXPECT_NE(error_of("A:*:*::*:*:*:*:*:*").find("empty FileNameREGEX"), std::string::npos);
  EXPECT_NE(error_of(":*:*:*:*:*:*:*:*:*").find("empty signature name"), std::string::npos);
}

TEST(CdbLine, LoaderNamesFileAndLine) {
  SignatureSet set;
  load_database_text(set, "x.cdb", "# comment\nGood:CL_TYPE_ZIP:*:*:*:*:*:*:*:*\n", false);
  ASSERT_EQ(set.container_metadata.size(), 1u);
  EXPECT_EQ(set.container_metadata[0].name, "Good.UNOFFICIAL");
  EXPECT_EQ(set.container_metadata[0].origin.line, 2u);
  EXPECT_EQ(set.signature_count(), 1u);
  try {
    load_database_text(set, "y.cdb", "Good:*:*:*:*:*:*:*:*:*\nBad:*:*:*:*:*:x:*:*:*\n");
    FAIL() << "a malformed .cdb line must refuse the database";
  } catch (const Error &e) {
    EXPECT_EQ(e.input(), "y.cdb:2");
    EXPECT_NE(e.reason().find("IsEncrypted 'x'"), std::string::npos) << e.reason();
  }
}

TEST(CdbMatch, RangesFollowClamAV) {
  // "n": exactly n; "min-max" with min == max: that value; otherwise a 0 bound is open.
  CdbRange exact{false, 21, 21}, open_low{false, 0, 100}, open_high{false, 50, 0},
      both{false, 10, 20}, zero{false, 0, 0};
  EXPECT_TRUE(exact.holds(21));
  EXPECT_FALSE(exact.holds(22));
  EXPECT_TRUE(open_low.holds(0));
  EXPECT_FALSE(open_low.holds(101));
  EXPECT_TRUE(open_high.holds(1u << 30));
  EXPECT_FALSE(open_high.holds(49));
  EXPECT_TRUE(both.holds(10) && both.holds(20));
  EXPECT_FALSE(both.holds(9) || both.holds(21));
  EXPECT_TRUE(zero.holds(0));
  EXPECT_FALSE(zero.holds(1));
}

TEST(CdbMatch, EntryFacts) {
  auto s = parsed("Z:CL_TYPE_ZIP:*:hello\\.txt$:21:600:0:2:*:*");
  EXPECT_TRUE(s.matches(entry("dir/hello.txt", 21, 600, 2)));
  EXPECT_FALSE(s.matches(entry("dir/hello.txt.bak", 21, 600, 2)));
  EXPECT_FALSE(s.matches(entry("dir/hello.txt", 22, 600, 2)));
  EXPECT_FALSE(s.matches(entry("dir/hello.txt", 21, 601, 2)));
  EXPECT_FALSE(s.matches(entry("dir/hello.txt", 21, 600, 3)));
  EXPECT_FALSE(s.matches(entry("dir/hello.txt", 21, 600, 2, true)));
  auto tar = entry("dir/hello.txt", 21, 600, 2);
  tar.container_type = "CL_TYPE_POSIX_TAR";
  EXPECT_FALSE(s.matches(tar));

  auto unnamed = entry("", 1, 1, 1);
  unnamed.name.reset();
  EXPECT_TRUE(parsed("N:*:*:*:*:*:*:*:*:*").matches(unnamed));
  EXPECT_FALSE(parsed("N:*:*:.*:*:*:*:*:*:*").matches(unnamed));
  // A format that does not give the packed size cannot match a packed-size condition.
  auto unknown_packed = entry("a", 1, 1, 1);
  unknown_packed.size_in_container.reset();
  EXPECT_FALSE(parsed("P:*:*:*:1:*:*:*:*:*").matches(unknown_packed));
  EXPECT_TRUE(parsed("P:*:*:*:*:1:*:*:*:*").matches(unknown_packed));
  // Container size: the size of the archive itself.
  EXPECT_TRUE(parsed("C:*:600-700:*:*:*:*:*:*:*").matches(entry("a", 1, 1, 1)));
  EXPECT_FALSE(parsed("C:*:1-100:*:*:*:*:*:*:*").matches(entry("a", 1, 1, 1)));
}

TEST(CdbMatch, HostileRegexEndsWithinLimits) {
  // Catastrophic backtracking: the match limit ends the search, which counts as no match.
  auto s = parsed("R:*:*:^(a+)+$:*:*:*:*:*:*");
  std::string name(5000, 'a');
  name += 'b';
  EXPECT_FALSE(s.matches(entry(name, 1, 1, 1)));
}

} // namespace
} // namespace vg
