#include "toolkit/store/outbox_trace.h"

#include "velocity/trace.h"

namespace velocity::store {

std::optional<Message> with_current_trace(const Message& message) {
  const auto current = trace::current();
  // A message that already names its trace (a caller's explicit choice) is left alone.
  if (!current || trace::extract(message)) return std::nullopt;
  Message traced = message;
  trace::inject(traced, trace::child_of(*current));
  return traced;
}

}  // namespace velocity::store
