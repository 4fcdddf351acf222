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

namespace vg {
namespace {

// may_hold() may only say "no" when no counts of the free subsignatures make the expression hold:
// checked exhaustively over small count values, for every free mask and every known assignment.
TEST(LogicalExpression, MayHoldIsNeverWrongWhenItSaysNo) {
  const std::vector<std::uint32_t> values = {0, 1, 2, 3, 11, 26};
  for (const char *text :
       {"0&1", "0|1", "0&(1|2)", "(0|1|2)>1,2", "((0&1)|2|3)>1,3", "0&(1>2)", "(0|1)=2", "0=0&1",
        "(0&1)|(2&3)", "(0|1|2|3)>3,4", "0&1&(2>25)", "(0|1)<3&2"}) {
    auto e = parse_ok(text);
    const std::uint32_t n = e.max_subsig() + 1;
    std::size_t said_no = 0;
    for (std::uint64_t free = 0; free < (1u << n); ++free) {
      // every assignment of every subsignature
      std::vector<std::size_t> idx(n, 0);
      for (;;) {
        std::vector<std::uint32_t> counts(n);
        for (std::uint32_t i = 0; i < n; ++i)
          counts[i] = values[idx[i]];
        std::vector<std::uint32_t> known = counts;
        for (std::uint32_t i = 0; i < n; ++i)
          if ((free >> i) & 1)
            known[i] = 0; // what the engine knows before the free ones are searched
        if (e.evaluate(counts) && !e.may_hold(known, free))
          ADD_FAILURE() << text << ": may_hold says no with free mask " << free
                        << " but the expression holds for a reachable assignment";
        said_no += !e.may_hold(known, free);
        std::uint32_t i = 0;
        while (i < n && ++idx[i] == values.size())
          idx[i++] = 0;
        if (i == n)
          break;
      }
    }
    EXPECT_GT(said_no, 0u) << text << ": may_hold never rules anything out";
  }
}

TEST(LogicalExpression, MayHoldRulesOutWhatTheCountsAlreadyDecide) {
  const std::vector<std::uint32_t> none(4, 0);
  EXPECT_FALSE(parse_ok("0&1").may_hold(none, 0b10));                            // 0 did not match
  EXPECT_TRUE(parse_ok("0&1").may_hold(std::vector<std::uint32_t>{1, 0}, 0b10)); // 0 did: 1 decides
  EXPECT_TRUE(parse_ok("0|1").may_hold(none, 0b10));                             // 1 alone suffices
  EXPECT_FALSE(parse_ok("((0&1)|2|3)>1,3").may_hold(none, 0b1000)); // 3 distinct needed, 1 free
  EXPECT_TRUE(parse_ok("((0&1)|2|3)>1,3").may_hold(std::vector<std::uint32_t>{0, 0, 1, 0}, 0b1001));
  EXPECT_FALSE(parse_ok("0&1&(2>25)").may_hold(none, 0b100));
  EXPECT_TRUE(parse_ok("0=0&1").may_hold(none, 0b10)); // "0=0" holds with no match
}

// Expressions are bounded before the (recursive) parser runs: 2047 operators (4095 nodes, the
// most a node index holds) and 8192 characters, ClamAV's line buffer. Before the bound, a chain of
// 300,000 operators overflowed the stack (crash on a hostile .ldb line).
TEST(LogicalExpression, SizeIsBoundedBeforeParsing) {
  std::string chain = "0";
  for (int i = 0; i < 2047; ++i)
    chain += i % 2 ? "&1" : "|0";
  auto most = parse_ok(chain);
  ASSERT_EQ(most.nodes().size(), LogicalExpression::kMaxNodes);
  EXPECT_EQ(most.nodes().back().left, 0);
  EXPECT_EQ(most.nodes()[LogicalExpression::kMaxNodes - 2].right,
            static_cast<std::int16_t>(LogicalExpression::kMaxNodes - 3));
  EXPECT_TRUE(most.evaluate(std::vector<std::uint32_t>{1, 1}));
  EXPECT_FALSE(most.evaluate(std::vector<std::uint32_t>{0, 0}));

  auto r = parse_logical_expression(chain + "&0");
  EXPECT_EQ(r.error, "logical expression with 2048 operators (at most 2047)");
  EXPECT_TRUE(r.expression.nodes().empty());

  std::string hostile = "0";
  for (int i = 0; i < 300000; ++i)
    hostile += "&0";
  r = parse_logical_expression(hostile);
  EXPECT_EQ(r.error, "logical expression of 600001 characters (at most 8192)");

  // Nesting is bounded on its own: 256 levels parse, 257 and the 4095 the length allows are
  // refused before the recursive parser runs (4095 overflowed the stack of an ASan build).
  std::string deep = std::string(256, '(') + "0&1" + std::string(256, ')');
  auto nested = parse_ok(deep);
  EXPECT_EQ(nested.nodes().size(), 3u);
  EXPECT_TRUE(nested.evaluate(std::vector<std::uint32_t>{1, 1}));
  r = parse_logical_expression("(" + deep + ")");
  EXPECT_EQ(r.error, "logical expression nested 257 parentheses deep (at most 256)");
  r = parse_logical_expression(std::string(4095, '(') + "0" + std::string(4095, ')'));
  EXPECT_EQ(r.error, "logical expression nested 4095 parentheses deep (at most 256)");
  r = parse_logical_expression("(" + std::string(4095, '(') + "0" + std::string(4096, ')'));
  EXPECT_EQ(r.error, "logical expression of 8193 characters (at most 8192)");
}

// Subsignature ids are 0-63: 64 and ids beyond 8 bits are refused, not truncated.
TEST(LogicalExpression, SubsignatureIdsAbove63AreRefused) {
  EXPECT_EQ(parse_ok("63").nodes().front().subsig, 63);
  for (std::string text : {"64", "0&256", "0|(1&320)"}) {
    auto r = parse_logical_expression(text);
    EXPECT_NE(r.error.find("(at most 63)"), std::string::npos) << text << ": " << r.error;
  }
}

} // namespace
} // namespace vg
