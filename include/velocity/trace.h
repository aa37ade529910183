// W3C Trace Context (https://www.w3.org/TR/trace-context/): parse, validate and format the
// `traceparent` header, derive child spans, and carry the context on bus messages. Values are
// plain and thread-safe as values are; the "current trace" is per thread (a Scope sets it for
// the work done on that thread, and JSON logs report it).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "velocity/message.h"
#include "velocity/result.h"

namespace velocity::trace {

inline constexpr std::string_view kTraceparentHeader = "traceparent";

struct TraceContext {
  std::array<uint8_t, 16> trace_id{};
  std::array<uint8_t, 8> parent_id{};  // the span that produced this context
  uint8_t flags = 0;                   // bit 0: sampled

  bool sampled() const { return (flags & 0x01) != 0; }
  std::string trace_id_hex() const;   // 32 lowercase hex digits
  std::string parent_id_hex() const;  // 16 lowercase hex digits

  friend bool operator==(const TraceContext&, const TraceContext&) = default;
};

// "00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>", lowercase. Rejects (kInvalidArgument)
// wrong lengths, uppercase or non-hex digits, version ff, all-zero trace or parent ids, and for
// version 00 anything after the flags. A later version is read by its version-00 prefix, as the
// specification asks, if what follows the flags starts with '-'.
[[nodiscard]] Result<TraceContext> parse_traceparent(std::string_view header);

// Always version 00.
std::string format_traceparent(const TraceContext& context);

// A new trace with a random trace id and span id.
TraceContext new_root(bool sampled = true);

// Same trace and flags, a new random span id: what a hop sends on after receiving `parent`.
TraceContext child_of(const TraceContext& parent);

// The message's valid `traceparent`, if it has one; a malformed header counts as none.
std::optional<TraceContext> extract(const Message& message);

// Sets the message's `traceparent` header (replacing any).
void inject(Message& message, const TraceContext& context);

// The context for work caused by `incoming`: a child of its trace, or a new root when it
// carries none (or a malformed one), so every hop is traced.
TraceContext continue_from(const Message& incoming);

// The context of the work running on this thread, if a Scope set one.
std::optional<TraceContext> current();

// Makes `context` the current one on this thread until destroyed; scopes nest.
class Scope {
 public:
  explicit Scope(const TraceContext& context);
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  std::optional<TraceContext> previous_;
};

}  // namespace velocity::trace
