#include "broker/core/topic_config.h"

#include <gtest/gtest.h>

namespace velocity::broker {
namespace {

TEST(TopicConfig, DefaultsApplyWhenNothingIsSet) {
  TopicDefaults defaults;
  defaults.retention_ms = 1234;
  auto c = TopicConfig::make(defaults, {});
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->retention_ms, 1234);
  EXPECT_EQ(c->cleanup_policy, "delete");
  EXPECT_TRUE(c->overrides.empty());
}

TEST(TopicConfig, HonouredKeysOverrideDefaults) {
  auto c = TopicConfig::make({}, {{"retention.ms", "60000"}, {"segment.bytes", "1048576"},
                                  {"retention.bytes", "-1"}, {"cleanup.policy", "compact"},
                                  {"max.message.bytes", "2000000"}, {"segment.ms", "1000"}});
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_EQ(c->retention_ms, 60000);
  EXPECT_EQ(c->segment_bytes, 1048576);
  EXPECT_EQ(c->retention_bytes, -1);
  EXPECT_EQ(c->cleanup_policy, "compact");
  EXPECT_EQ(c->max_message_bytes, 2000000);
  EXPECT_EQ(c->segment_ms, 1000);
}

TEST(TopicConfig, UnknownKeyIsRejectedWithItsName) {
  auto c = TopicConfig::make({}, {{"retention.msec", "1"}});
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.error().context.find("retention.msec"), std::string::npos);
}

TEST(TopicConfig, NonNumericValueIsRejected) {
  EXPECT_FALSE(TopicConfig::make({}, {{"retention.ms", "soon"}}).has_value());
  EXPECT_FALSE(TopicConfig::make({}, {{"retention.ms", "12x"}}).has_value());
  EXPECT_FALSE(TopicConfig::make({}, {{"segment.bytes", "1"}}).has_value());
  EXPECT_FALSE(TopicConfig::make({}, {{"cleanup.policy", "shred"}}).has_value());
}

TEST(TopicConfig, KnownKafkaKeysAreStoredAndReported) {
  auto c = TopicConfig::make({}, {{"min.insync.replicas", "2"}});
  ASSERT_TRUE(c.has_value());
  auto entries = describe(*c);
  bool found = false;
  for (const auto& e : entries) {
    if (e.name == "min.insync.replicas") {
      found = true;
      EXPECT_EQ(e.value, "2");
      EXPECT_FALSE(e.is_default);
    }
    if (e.name == "retention.ms") {
      EXPECT_TRUE(e.is_default);
    }
  }
  EXPECT_TRUE(found);
}

TEST(TopicName, FollowsKafkaRules) {
  EXPECT_TRUE(validate_topic_name("shop.order-events_v1").has_value());
  EXPECT_FALSE(validate_topic_name("").has_value());
  EXPECT_FALSE(validate_topic_name(".").has_value());
  EXPECT_FALSE(validate_topic_name("..").has_value());
  EXPECT_FALSE(validate_topic_name("has space").has_value());
  EXPECT_FALSE(validate_topic_name("slash/inside").has_value());
  EXPECT_FALSE(validate_topic_name(std::string(250, 'a')).has_value());
  EXPECT_TRUE(validate_topic_name(std::string(249, 'a')).has_value());
}

}  // namespace
}  // namespace velocity::broker
