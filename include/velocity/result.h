// Result<T>: the one error mechanism of the project, public API and internal code alike. A function that can fail returns
// Result<T> (std::expected<T, Error>); Error carries a small code and a context string that
// says what was being done and to what (file, partition, topic). Thread-safe as values are.
// Where the standard library lacks <expected> (clang 14 on libstdc++ 12, the fuzz build), the
// same interface comes from velocity/expected_compat.h; callers still write std::unexpected.
#pragma once

#include <version>
#if defined(__cpp_lib_expected)
#include <expected>
#else
#include "velocity/expected_compat.h"
#endif
#include <string>
#include <string_view>
#include <utility>

namespace velocity {

enum class ErrorCode {
  kInvalidArgument,  // caller passed something that can never succeed
  kCorrupt,          // bytes failed a length or checksum check
  kNotFound,         // a named thing does not exist
  kAlreadyExists,
  kOutOfRange,       // an offset or index outside what exists
  kIo,               // the operating system refused a read, write or sync
  kFenced,           // an earlier storage failure made this object refuse further writes
  kUnsupported,      // valid input we deliberately do not handle (old record formats, …)
  kTooLarge,
  kTimeout,
  kClosed,
  kInternal,
};

std::string_view to_string(ErrorCode code);

struct Error {
  ErrorCode code;
  std::string context;

  // "corrupt: segment 00000000000000000042.log: batch CRC mismatch at byte 1234"
  std::string message() const;
};

#if defined(__cpp_lib_expected)
template <typename T>
using Result = std::expected<T, Error>;
#else
template <typename T>
using Result = compat::expected<T, Error>;
#endif

// Builds the error side of a Result: `return fail(ErrorCode::kIo, "fsync {}", path);`
inline std::unexpected<Error> fail(ErrorCode code, std::string context) {
  return std::unexpected<Error>(Error{code, std::move(context)});
}

}  // namespace velocity
