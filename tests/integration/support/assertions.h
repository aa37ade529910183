// GoogleTest glue for Result<T>: ASSERT_TRUE(succeeded(call())) fails with the error's message.
// Header-only, stateless.
#pragma once

#include <gtest/gtest.h>

#include "common/result.h"

namespace velocity::testing {

template <typename T>
::testing::AssertionResult succeeded(const Result<T>& result) {
  if (result) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << result.error().message();
}

}  // namespace velocity::testing
