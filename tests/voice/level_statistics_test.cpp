#include "voice/level_statistics.hpp"

#include <gtest/gtest.h>

namespace vg::voice {
namespace {

TEST(LevelStatistics, MedianIsTheUpperMiddleOfTheSortedSample) {
  EXPECT_EQ(median({}), 0);
  EXPECT_EQ(median({4}), 4);
  EXPECT_EQ(median({9, 1, 5}), 5);
  EXPECT_EQ(median({8, 2, 6, 4}), 6) << "even count: the element at size/2 once sorted";
  std::vector<double> sample{3, -1, 2};
  EXPECT_EQ(median(sample), 2);
  EXPECT_EQ(sample, (std::vector<double>{3, -1, 2})) << "the caller's order is kept";
}

TEST(LevelStatistics, RmsToDbIsTwentyLog10WithSilenceFloored) {
  EXPECT_DOUBLE_EQ(rms_to_db(1.0), 0.0);
  EXPECT_DOUBLE_EQ(rms_to_db(0.1), -20.0);
  EXPECT_NEAR(rms_to_db(0.5), -6.0206, 1e-4);
  EXPECT_DOUBLE_EQ(rms_to_db(0.0), -240.0);
  EXPECT_DOUBLE_EQ(rms_to_db(-1.0), -240.0);
}

} // namespace
} // namespace vg::voice
