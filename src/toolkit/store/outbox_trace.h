// Trace context for messages written to the outbox: the relay publishes later, on another
// thread, so the trace must be stamped when the message is added. Pure functions.
#pragma once

#include <optional>

#include "velocity/message.h"

namespace velocity::store {

// A copy of `message` carrying a child span of this thread's current trace, when a trace is
// current and `message` has no valid `traceparent` of its own; nullopt when nothing changes.
std::optional<Message> with_current_trace(const Message& message);

}  // namespace velocity::store
