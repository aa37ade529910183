#include "gateway/event_feed.h"

#include <cstdint>
#include <cstdio>
#include <random>

#include "common/log.h"
#include "velocity/event.h"

namespace velocity::gateway {

std::vector<std::string> public_topics() {
  return {std::begin(kPublicTopics), std::end(kPublicTopics)};
}

Result<std::unique_ptr<EventFeed>> EventFeed::start(Subscriber& subscriber, EventHub& hub,
                                                    std::string group) {
  if (group.empty()) {
    // A group of its own: every gateway instance must see every event.
    std::random_device random;
    const uint64_t id = (uint64_t{random()} << 32) ^ random();
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(id));
    group = std::string("gateway-") + hex;
  }
  SubscribeOptions options;
  options.topics = public_topics();
  options.group = group;
  // Everything published from here on, however long the group takes to get its partitions:
  // the gateway turns ready right after this.
  options.start = StartFrom::kLatest;
  auto subscription = subscriber.subscribe(options, [&hub](Delivery delivery) {
    auto event = from_message(delivery.message);
    if (event) {
      hub.publish(*event);
    } else {
      // Not ours to repair: skipping it keeps every customer's stream moving.
      log::warn("skipping a message on {} at offset {}: {}", delivery.message.topic,
                delivery.message.offset, event.error().message());
    }
    delivery.ack();
  });
  if (!subscription) return std::unexpected(subscription.error());
  log::info("consuming {} public topics as group {}", options.topics.size(), group);
  return std::unique_ptr<EventFeed>(new EventFeed(std::move(group), std::move(*subscription)));
}

EventFeed::~EventFeed() {
  stop(std::chrono::milliseconds(0));
}

void EventFeed::stop(std::chrono::milliseconds grace) {
  if (subscription_) {
    subscription_->close(grace);
    subscription_.reset();
  }
}

}  // namespace velocity::gateway
