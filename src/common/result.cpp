#include "common/result.h"

namespace velocity {

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid argument";
    case ErrorCode::kCorrupt: return "corrupt";
    case ErrorCode::kNotFound: return "not found";
    case ErrorCode::kAlreadyExists: return "already exists";
    case ErrorCode::kOutOfRange: return "out of range";
    case ErrorCode::kIo: return "i/o error";
    case ErrorCode::kFenced: return "fenced";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kTooLarge: return "too large";
    case ErrorCode::kTimeout: return "timeout";
    case ErrorCode::kClosed: return "closed";
    case ErrorCode::kInternal: return "internal error";
  }
  return "unknown error";
}

std::string Error::message() const {
  std::string out(to_string(code));
  if (!context.empty()) {
    out += ": ";
    out += context;
  }
  return out;
}

}  // namespace velocity
