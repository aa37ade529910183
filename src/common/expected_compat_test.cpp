// The fallback expected must behave like std::expected for every use Velocity makes of it. The
// cases run on every compiler against compat::expected directly; the Result cases exercise
// whichever implementation result.h picked (the fallback only under clang 14).
#include "velocity/expected_compat.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "common/result.h"

namespace velocity::compat {
namespace {

using IntOrString = expected<int, std::string>;

IntOrString parse_digit(char c) {
  if (c < '0' || c > '9') return unexpected(std::string("not a digit: ") + c);
  return c - '0';
}

TEST(ExpectedCompat, HeldValueIsReachedThroughEveryAccessor) {
  IntOrString r = parse_digit('7');
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(static_cast<bool>(r));
  EXPECT_EQ(*r, 7);
  EXPECT_EQ(r.value(), 7);

  expected<std::string, int> s(std::in_place, "abc");
  EXPECT_EQ(s->size(), 3u);
  s->push_back('d');
  EXPECT_EQ(*s, "abcd");
}

TEST(ExpectedCompat, ErrorFromUnexpectedIsKeptAndValueAccessThrows) {
  IntOrString r = parse_digit('x');
  ASSERT_FALSE(r.has_value());
  EXPECT_FALSE(static_cast<bool>(r));
  EXPECT_EQ(r.error(), "not a digit: x");
  try {
    (void)r.value();
    FAIL() << "value() on an error must throw";
  } catch (const bad_expected_access<std::string>& e) {
    EXPECT_EQ(e.error(), "not a digit: x");
  }
}

TEST(ExpectedCompat, UnexpectedDeducesItsErrorType) {
  auto u = unexpected(std::string("boom"));
  static_assert(std::is_same_v<decltype(u), unexpected<std::string>>);
  EXPECT_EQ(u.error(), "boom");
  EXPECT_EQ(u, unexpected<std::string>("boom"));
  EXPECT_FALSE(u == unexpected<std::string>("bang"));
}

TEST(ExpectedCompat, SameValueAndErrorTypeKeepTheSidesApart) {
  expected<int, int> value = 3;
  expected<int, int> error = unexpected(3);
  EXPECT_TRUE(value.has_value());
  EXPECT_FALSE(error.has_value());
  EXPECT_EQ(error.error(), 3);
  EXPECT_FALSE(value == error);
}

TEST(ExpectedCompat, MoveOnlyValueAndErrorMoveOut) {
  expected<std::unique_ptr<int>, std::unique_ptr<int>> r = std::make_unique<int>(5);
  std::unique_ptr<int> taken = std::move(r).value();
  ASSERT_NE(taken, nullptr);
  EXPECT_EQ(*taken, 5);

  expected<std::unique_ptr<int>, std::unique_ptr<int>> e(unexpect, std::make_unique<int>(9));
  std::unique_ptr<int> err = std::move(e).error();
  ASSERT_NE(err, nullptr);
  EXPECT_EQ(*err, 9);
}

TEST(ExpectedCompat, CopyAndMoveKeepWhichSideIsHeld) {
  IntOrString error = parse_digit('?');
  IntOrString copied = error;
  IntOrString moved = std::move(error);
  EXPECT_EQ(copied.error(), "not a digit: ?");
  EXPECT_EQ(moved.error(), "not a digit: ?");

  IntOrString value = parse_digit('4');
  IntOrString copied_value = value;
  EXPECT_EQ(*copied_value, 4);
}

TEST(ExpectedCompat, AssignmentSwitchesSides) {
  IntOrString r = 1;
  r = unexpected(std::string("gone"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), "gone");
  r = 2;
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, 2);
}

TEST(ExpectedCompat, ValueOrFallsBackOnlyOnError) {
  EXPECT_EQ(parse_digit('8').value_or(-1), 8);
  EXPECT_EQ(parse_digit('z').value_or(-1), -1);
}

TEST(ExpectedCompat, EqualityComparesTheHeldSide) {
  EXPECT_EQ(parse_digit('1'), parse_digit('1'));
  EXPECT_FALSE(parse_digit('1') == parse_digit('2'));
  EXPECT_FALSE(parse_digit('1') == parse_digit('a'));
  EXPECT_TRUE(parse_digit('1') == 1);
  EXPECT_TRUE(parse_digit('a') == unexpected(std::string("not a digit: a")));
}

TEST(ExpectedCompat, VoidDefaultsToSuccessAndCarriesOnlyAnError) {
  expected<void, std::string> ok;
  EXPECT_TRUE(ok.has_value());
  ok.value();  // must not throw
  *ok;

  expected<void, std::string> failed = unexpected(std::string("disk full"));
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error(), "disk full");
  EXPECT_THROW(failed.value(), bad_expected_access<std::string>);
  EXPECT_FALSE(ok == failed);

  failed = unexpected(std::string("still full"));
  EXPECT_EQ(failed.error(), "still full");
  expected<void, std::string> copy = failed;
  EXPECT_EQ(copy.error(), "still full");
}

}  // namespace
}  // namespace velocity::compat

namespace velocity {
namespace {

#if !defined(__cpp_lib_expected)
static_assert(std::is_same_v<Result<int>, compat::expected<int, Error>>,
              "without <expected>, Result must be the fallback");
#endif

Result<int> read_length(bool ok) {
  if (!ok) return fail(ErrorCode::kCorrupt, "length past the end of the frame");
  return 12;
}

// Propagation exactly as callers across the code base write it.
Result<void> check_frame(bool ok) {
  auto length = read_length(ok);
  if (!length) return std::unexpected(length.error());
  return {};
}

TEST(Result, CallersPropagateTheErrorWithStdUnexpected) {
  EXPECT_TRUE(check_frame(true).has_value());
  auto failed = check_frame(false);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kCorrupt);
  EXPECT_EQ(failed.error().context, "length past the end of the frame");
}

TEST(Result, NamedUnexpectedTypeConvertsToAnyResult) {
  std::unexpected<Error> refusal = fail(ErrorCode::kFenced, "partition orders-0");
  Result<std::string> text = refusal;
  Result<void> nothing = refusal;
  EXPECT_EQ(text.error().code, ErrorCode::kFenced);
  EXPECT_EQ(nothing.error().context, "partition orders-0");
}

}  // namespace
}  // namespace velocity
