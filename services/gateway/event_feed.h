// EventFeed: the gateway's one consumer of the store's public topics, handing every event to
// the EventHub. It joins a consumer group of its own (`gateway-<random>`) starting from the
// latest offsets, so it sees every event published after it started, and several gateways
// each see everything. Events are acknowledged once the hub has them (the hub's buffer, not
// the bus, is what a reconnecting browser resumes from). Thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/event_hub.h"
#include "velocity/bus.h"
#include "velocity/result.h"

namespace velocity::gateway {

// The topics whose events may concern a customer's browser.
inline constexpr std::string_view kPublicTopics[] = {
    "shop.orders",        "shop.inventory", "shop.payments", "shop.shipping",
    "shop.notifications", "shop.carts",     "shop.users"};

std::vector<std::string> public_topics();

class EventFeed {
 public:
  // Subscribes through `subscriber` (which must outlive the feed) and feeds `hub`.
  [[nodiscard]] static Result<std::unique_ptr<EventFeed>> start(Subscriber& subscriber,
                                                                EventHub& hub,
                                                                std::string group = {});
  ~EventFeed();
  EventFeed(const EventFeed&) = delete;
  EventFeed& operator=(const EventFeed&) = delete;

  const std::string& group() const { return group_; }
  // Leaves the group (idempotent).
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(2));

 private:
  EventFeed(std::string group, std::unique_ptr<Subscription> subscription)
      : group_(std::move(group)), subscription_(std::move(subscription)) {}
  std::string group_;
  std::unique_ptr<Subscription> subscription_;
};

}  // namespace velocity::gateway
