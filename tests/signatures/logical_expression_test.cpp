#include "signatures/logical_expression.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace vg {
namespace {

LogicalExpression parse_ok(std::string_view text) {
  auto r = parse_logical_expression(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.error;
  return r.expression;
}

bool holds(std::string_view text, std::vector<std::uint32_t> counts) {
  return parse_ok(text).evaluate(counts);
}

TEST(LogicalExpression, SingleSubsignatureNeedsOneMatch) {
  EXPECT_FALSE(holds("0", {0}));
  EXPECT_TRUE(holds("0", {1}));
  EXPECT_TRUE(holds("0", {7}));
  EXPECT_EQ(parse_ok("0").max_subsig(), 0u);
}

TEST(LogicalExpression, AndOr) {
  EXPECT_TRUE(holds("0&1", {1, 1}));
  EXPECT_FALSE(holds("0&1", {1, 0}));
  EXPECT_TRUE(holds("0|1", {0, 1}));
  EXPECT_FALSE(holds("0|1", {0, 0}));
  EXPECT_EQ(parse_ok("0&1&2&3").max_subsig(), 3u);
  EXPECT_TRUE(holds("(0|1)&2", {0, 1, 1}));
  EXPECT_FALSE(holds("(0|1)&2", {1, 1, 0}));
}

TEST(LogicalExpression, TopLevelSplitsAtTheFirstOperator) {
  // 0|1&2 is 0|(1&2): true with only 0; 0&1|2 is 0&(1|2): false without 0.
  EXPECT_TRUE(holds("0|1&2", {1, 0, 0}));
  EXPECT_FALSE(holds("0&1|2", {0, 0, 1}));
  EXPECT_TRUE(holds("0&1|2", {1, 0, 1}));
}

TEST(LogicalExpression, InsideParenthesesSplitsAtTheLastOperator) {
  // (0|1&2) is (0|1)&2: false with only 0 (unlike the top level).
  EXPECT_FALSE(holds("(0|1&2)", {1, 0, 0}));
  EXPECT_TRUE(holds("(0|1&2)", {1, 0, 1}));
  // (0&1|2) is (0&1)|2
  EXPECT_TRUE(holds("(0&1|2)", {0, 0, 1}));
}

TEST(LogicalExpression, SubsignatureCounts) {
  EXPECT_TRUE(holds("0=2", {2}));
  EXPECT_FALSE(holds("0=2", {3}));
  EXPECT_TRUE(holds("0>2", {3}));
  EXPECT_FALSE(holds("0>2", {2}));
  EXPECT_TRUE(holds("0<2", {1}));
  EXPECT_FALSE(holds("0<2", {2}));
  // Holds with no match at all: ClamAV fires these on files without any subsignature hit.
  EXPECT_TRUE(holds("0=0", {0}));
  EXPECT_TRUE(holds("0<1", {0}));
  EXPECT_TRUE(holds("0=0&1", {0, 1}));
  EXPECT_FALSE(holds("0=0&1", {1, 1}));
  // ",Y" after a single subsignature is ignored, as ClamAV does.
  EXPECT_TRUE(holds("0=2,5", {2}));
}

TEST(LogicalExpression, BlockCountsSumTheSubsignaturesOfATrueBlock) {
  EXPECT_TRUE(holds("(0|1)>2", {2, 1}));
  EXPECT_FALSE(holds("(0|1)>2", {2, 0}));
  EXPECT_TRUE(holds("(0&1)=3", {1, 2}));
  // A false block counts 0.
  EXPECT_TRUE(holds("(0&1)=0", {5, 0}));
  EXPECT_FALSE(holds("(0&1)<1", {1, 1}));
  EXPECT_TRUE(holds("(0&1)<1", {1, 0}));
}

TEST(LogicalExpression, BlockDistinctSubsignatures) {
  EXPECT_TRUE(holds("(0|1|2)>1,2", {1, 1, 0}));
  EXPECT_FALSE(holds("(0|1|2)>1,2", {5, 0, 0}));
  EXPECT_TRUE(holds("(0|1|2)=3,3", {1, 1, 1}));
  EXPECT_FALSE(holds("(0|1|2)=3,3", {2, 1, 0}));
}

TEST(LogicalExpression, CountedBlockPassesItsCountButNotItsIds) {
  // ((0|1)>0|2)>2,2: the inner block contributes count 3 but no ids, so only subsig 2 is distinct.
  EXPECT_FALSE(holds("((0|1)>0|2)>2,2", {2, 1, 1}));
  EXPECT_TRUE(holds("((0|1)>0|2)>2,1", {2, 1, 1}));
}

TEST(LogicalExpression, SubsignaturesReadAsClamavReadsThem) {
  // main.ldb holds "(8==9)": ClamAV takes the number after the last '='.
  EXPECT_TRUE(holds("(8==9)", {0, 0, 0, 0, 0, 0, 0, 0, 9}));
  EXPECT_FALSE(holds("(8==9)", {0, 0, 0, 0, 0, 0, 0, 0, 1}));
  EXPECT_TRUE(holds("0=1x", {1}));
  EXPECT_TRUE(holds("0 & 1", {1, 1}));
  EXPECT_TRUE(holds("(0|1)>1,2,3", {1, 1}));
}

TEST(LogicalExpression, RealDatabaseForms) {
  EXPECT_TRUE(holds("(0&1&2&(3=0))", {1, 1, 1, 0}));
  EXPECT_FALSE(holds("(0&1&2&(3=0))", {1, 1, 1, 1}));
  EXPECT_TRUE(holds("0&1>50", {1, 51}));
  EXPECT_FALSE(holds("0&1>50", {1, 50}));
  EXPECT_TRUE(holds("(0>20)&1&2", {21, 1, 1}));
}

TEST(LogicalExpression, CountCaps) {
  auto e = parse_ok("0&1>50&(2|3)=4");
  EXPECT_EQ(e.count_cap(0), 1u);
  EXPECT_EQ(e.count_cap(1), 51u);
  EXPECT_EQ(e.count_cap(2), 5u);
  EXPECT_EQ(e.count_cap(3), 5u);
  // Capped counts give the same verdict as exact ones.
  EXPECT_EQ(e.evaluate(std::vector<std::uint32_t>{1, 51, 2, 2}),
            e.evaluate(std::vector<std::uint32_t>{1, 90, 2, 2}));
}

TEST(LogicalExpression, Errors) {
  for (const char *bad : {"", "(", ")", "0&", "&0", "0||1", "(0&1", "0&1)", "a", "0=", "0=x",
                          "(0)=1", "(0&1)>2x", "64", "0&99999999999", "()", "=1", " "}) {
    auto r = parse_logical_expression(bad);
    EXPECT_FALSE(r.ok()) << "'" << bad << "' was accepted";
    EXPECT_FALSE(r.error.empty());
  }
  EXPECT_NE(parse_logical_expression("0&)").error.find("column"), std::string::npos);
}

} // namespace
} // namespace vg
