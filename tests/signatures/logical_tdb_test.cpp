#include "signatures/signature_set.hpp"
#include "signatures/target_description.hpp"

#include <gtest/gtest.h>

namespace vg {
namespace {

TEST(TargetDescription, EveryKey) {
  auto r = parse_target_description(
      "Engine:51-255,Target:1,FileSize:10-2000,EntryPoint:0-4096,NumberOfSections:2-5,"
      "Container:CL_TYPE_ZIP,Intermediates:CL_TYPE_ZIP>CL_TYPE_ANY,IconGroup1:DOC,IconGroup2:FAKE");
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_TRUE(r.skip.empty()) << r.skip;
  const auto &t = r.tdb;
  EXPECT_EQ(t.target, TargetType::pe);
  EXPECT_EQ(t.engine, (TdbRange{51, 255}));
  EXPECT_EQ(t.file_size, (TdbRange{10, 2000}));
  EXPECT_EQ(t.entry_point, (TdbRange{0, 4096}));
  EXPECT_EQ(t.number_of_sections, (TdbRange{2, 5}));
  EXPECT_EQ(t.container(), "CL_TYPE_ZIP");
  EXPECT_EQ(t.intermediates(), (std::vector<std::string>{"CL_TYPE_ZIP", "CL_TYPE_ANY"}));
  EXPECT_EQ(t.icon_group1(), "DOC");
  EXPECT_EQ(t.icon_group2(), "FAKE");
  auto h = parse_target_description("Engine:81-255,Target:0,HandlerType:CL_TYPE_PDF");
  ASSERT_TRUE(h.ok() && h.skip.empty()) << h.error << h.skip;
  EXPECT_EQ(h.tdb.handler_type(), "CL_TYPE_PDF");
  EXPECT_TRUE(TdbRange({3, 5}).contains(3));
  EXPECT_FALSE(TdbRange({3, 5}).contains(6));
}

// The rare attributes are one separate allocation that a common description does not have.
TEST(TargetDescription, RareAttributesOnlyWhereGiven) {
  static_assert(sizeof(TargetDescription) <= 64, "the common description grew");
  auto common = parse_target_description("Engine:51-255,Target:1,FileSize:10-2000");
  ASSERT_TRUE(common.ok() && common.skip.empty()) << common.error << common.skip;
  const TargetDescription &c = common.tdb;
  EXPECT_TRUE(c.rare().empty());
  EXPECT_FALSE(c.container() || c.icon_group1() || c.icon_group2() || c.handler_type());
  EXPECT_TRUE(c.intermediates().empty());
  EXPECT_EQ(&c.rare(), &TargetDescription().rare()); // the one shared empty part

  auto rare = parse_target_description("Engine:51-255,Target:0,Intermediates:CL_TYPE_GZ");
  ASSERT_TRUE(rare.ok() && rare.skip.empty()) << rare.error << rare.skip;
  TargetDescription copy = rare.tdb;
  EXPECT_NE(&copy.rare(), &rare.tdb.rare()); // a copy has its own part, equal
  EXPECT_EQ(copy, rare.tdb);
  TargetDescription assigned;
  assigned = copy;
  EXPECT_EQ(assigned, rare.tdb);
  EXPECT_EQ(copy.intermediates(), std::vector<std::string>{"CL_TYPE_GZ"});
  EXPECT_FALSE(copy.container());
  TargetDescription moved = std::move(copy);
  EXPECT_EQ(moved, rare.tdb);

  // Equality looks at the content of the parts, not their addresses.
  TargetDescription::Rare same;
  same.intermediates = {"CL_TYPE_GZ"};
  TargetDescription built;
  built.target = TargetType::any;
  built.engine = TdbRange{51, 255};
  built.set_rare(same);
  EXPECT_EQ(built, rare.tdb);
  same.intermediates = {"CL_TYPE_ZIP"};
  built.set_rare(same);
  EXPECT_NE(built, rare.tdb);
  built.set_rare({}); // an empty part is dropped
  EXPECT_EQ(&built.rare(), &TargetDescription().rare());
  EXPECT_NE(built, rare.tdb);
}

TEST(TargetDescription, TargetAloneNeedsNoEngine) {
  auto r = parse_target_description("Target:0");
  ASSERT_TRUE(r.ok() && r.skip.empty());
  EXPECT_EQ(r.tdb.target, TargetType::any);
  EXPECT_FALSE(r.tdb.engine);
}

TEST(TargetDescription, SkippedAsClamavSkips) {
  for (const char *skipped :
       {"Engine:51-255,Target:1,Unknown:1", "Engine:51-255,Target:0,Container:CL_TYPE_NOPE",
        "Engine:51-255,Target:0,Intermediates:CL_TYPE_ZIP>CL_TYPE_NOPE", "Target:15",
        "Engine:300-400,Target:0", "Engine:51-100,Target:0"}) {
    auto r = parse_target_description(skipped);
    EXPECT_TRUE(r.ok()) << skipped << ": " << r.error;
    EXPECT_FALSE(r.skip.empty()) << skipped;
  }
  auto level = parse_target_description("Engine:" + std::to_string(kFunctionalityLevel) + "-" +
                                        std::to_string(kFunctionalityLevel) + ",Target:0");
  EXPECT_TRUE(level.ok() && level.skip.empty());
}

TEST(TargetDescription, Errors) {
  for (const char *bad :
       {"", "Target", "Engine:51,Target:0", "Target:0,Engine:51-255", "Target:x", "Engine:51-255",
        "Target:0,FileSize:10-2000", "Engine:50-255,Target:0,FileSize:1-2",
        "Engine:51-255,Target:0,FileSize:a-b", "Engine:51-255,Target:0,IconGroup1:X",
        "Engine:51-255,Target:0,EntryPoint:0-9", "Engine:51-255,Target:7,NumberOfSections:1-2",
        "Engine:51-99999999999,Target:0", "Engine:-255,Target:0"}) {
    auto r = parse_target_description(bad);
    EXPECT_FALSE(r.ok()) << "'" << bad << "' accepted";
  }
  // EntryPoint with ELF and Mach-O targets is fine.
  EXPECT_TRUE(parse_target_description("Engine:51-255,Target:6,EntryPoint:0-9").ok());
  EXPECT_TRUE(parse_target_description("Engine:51-255,Target:9,NumberOfSections:1-9").ok());
}

TEST(TargetDescription, KnownTypeNames) {
  EXPECT_TRUE(is_clamav_type_name("CL_TYPE_MAIL"));
  EXPECT_TRUE(is_clamav_type_name("CL_TYPE_ANY"));
  EXPECT_FALSE(is_clamav_type_name("CL_TYPE_mail"));
  EXPECT_FALSE(is_clamav_type_name("ZIP"));
}

} // namespace
} // namespace vg
