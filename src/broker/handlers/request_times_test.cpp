#include "broker/handlers/request_times.h"

#include <gtest/gtest.h>

namespace velocity::broker {
namespace {

constexpr int16_t kProduce = 0;
constexpr int16_t kFetch = 1;

TEST(RequestTimes, PercentilesAreWithinOneBucketOfTheTrueValue) {
  RequestTimes times;
  // 1 000 requests taking 1..1000 µs: the true p50 is 500 µs, p99 990 µs, p99.9 999 µs.
  for (int64_t us = 1; us <= 1000; ++us) times.record(kProduce, us * 1000);
  const auto summaries = times.summaries();
  ASSERT_EQ(summaries.size(), 1u);
  const auto& s = summaries[0];
  EXPECT_EQ(s.api_key, kProduce);
  EXPECT_EQ(s.count, 1000u);
  EXPECT_EQ(s.max_us, 1000);
  for (auto [got, truth] : {std::pair{s.p50_us, 500}, {s.p99_us, 990}, {s.p999_us, 999}}) {
    EXPECT_GE(got, truth);
    EXPECT_LE(got, truth * 109 / 100) << "one bucket is at most 9 % wide";
  }
}

TEST(RequestTimes, SmallTimesAreExactAndNoPercentileExceedsTheMaximum) {
  RequestTimes times;
  for (int i = 0; i < 98; ++i) times.record(kFetch, 3'400);  // 3 µs
  times.record(kFetch, 7'000);
  times.record(kFetch, 130'000);
  const auto s = times.summaries().at(0);
  EXPECT_EQ(s.p50_us, 3);
  EXPECT_EQ(s.p99_us, 7);
  EXPECT_EQ(s.p999_us, 130);
  EXPECT_EQ(s.max_us, 130);
}

TEST(RequestTimes, EachApiIsSummarisedOnItsOwnAndBadKeysAreIgnored) {
  RequestTimes times;
  times.record(kFetch, 2'000'000);
  times.record(kProduce, 1'000);
  times.record(-1, 5'000);
  times.record(30000, 5'000);
  times.record(kProduce, -50);  // a clock step back counts as 0
  const auto summaries = times.summaries();
  ASSERT_EQ(summaries.size(), 2u);
  EXPECT_EQ(summaries[0].api_key, kProduce);
  EXPECT_EQ(summaries[0].count, 2u);
  EXPECT_EQ(summaries[0].max_us, 1);
  EXPECT_EQ(summaries[1].api_key, kFetch);
  EXPECT_EQ(summaries[1].p50_us, 2000);
  const auto lines = describe(summaries);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "Produce n=2 p50=0µs p99=1µs p99.9=1µs max=1µs");
  EXPECT_EQ(lines[1].rfind("Fetch n=1 ", 0), 0u) << lines[1];
}

}  // namespace
}  // namespace velocity::broker
