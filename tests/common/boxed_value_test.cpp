#include "common/boxed_value.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace vg {
namespace {

using Box = BoxedValue<std::vector<std::string>>;

TEST(BoxedValue, UnsetReadsAsTheDefaultValueAndCostsOnePointer) {
  static_assert(sizeof(Box) == sizeof(void *));
  const Box b;
  EXPECT_FALSE(b.has_value());
  EXPECT_TRUE(b.get().empty());
  EXPECT_EQ(&b.get(), &Box().get()) << "every unset box reads one shared default";
}

TEST(BoxedValue, CopiesAreDeepAndMovesLeaveTheSourceUnset) {
  Box a;
  a.set({"x", "y"});
  ASSERT_TRUE(a.has_value());
  Box copy = a;
  EXPECT_EQ(copy.get(), a.get());
  EXPECT_NE(&copy.get(), &a.get()) << "a copy owns its own value";
  a.set({"z"});
  EXPECT_EQ(copy.get(), (std::vector<std::string>{"x", "y"})) << "changing the source leaves it";

  Box assigned;
  assigned = a;
  EXPECT_EQ(assigned.get(), (std::vector<std::string>{"z"}));
  assigned = Box();
  EXPECT_FALSE(assigned.has_value()) << "assigning an unset box unsets";

  Box moved = std::move(copy);
  EXPECT_EQ(moved.get(), (std::vector<std::string>{"x", "y"}));
  EXPECT_FALSE(copy.has_value()); // NOLINT(bugprone-use-after-move): the promise under test

  moved.reset();
  EXPECT_FALSE(moved.has_value());
  EXPECT_TRUE(moved.get().empty());
}

TEST(BoxedValue, SelfAssignmentKeepsTheValue) {
  Box a;
  a.set({"kept"});
  const Box &same = a;
  a = same;
  EXPECT_EQ(a.get(), (std::vector<std::string>{"kept"}));
}

} // namespace
} // namespace vg
