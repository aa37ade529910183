#include "broker/protocol/consumer_protocol.h"

#include <gtest/gtest.h>

namespace velocity::protocol {
namespace {

TEST(ConsumerProtocol, SubscriptionRoundTripsInEveryVersion) {
  for (int16_t v = 0; v <= 3; ++v) {
    ConsumerProtocolSubscription s;
    s.version = v;
    s.topics = {"orders", "payments"};
    s.user_data = Bytes{std::byte{1}};
    if (v >= 1) s.owned_partitions = {{"orders", {0, 2}}};
    if (v >= 2) s.generation_id = 4;
    if (v >= 3) s.rack_id = "rack-a";
    auto blob = encode_subscription(s);
    ASSERT_TRUE(blob.has_value());
    auto back = decode_subscription(*blob);
    ASSERT_TRUE(back.has_value()) << back.error().message();
    EXPECT_EQ(*back, s) << "v" << v;
  }
}

TEST(ConsumerProtocol, LibrdkafkaV1AssignmentDecodes) {
  // version 1, one topic "t1" with partitions [0, 1], user data null.
  std::vector<std::byte> blob;
  for (int b : std::initializer_list<int>{0, 1, 0, 0, 0, 1, 0, 2, 't', '1', 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF}) {
    blob.push_back(static_cast<std::byte>(b));
  }
  auto a = decode_assignment(blob);
  ASSERT_TRUE(a.has_value()) << a.error().message();
  EXPECT_EQ(a->version, 1);
  ASSERT_EQ(a->assigned_partitions.size(), 1u);
  EXPECT_EQ(a->assigned_partitions[0].topic, "t1");
  EXPECT_EQ(a->assigned_partitions[0].partitions, (std::vector<int32_t>{0, 1}));
  EXPECT_FALSE(a->user_data.has_value());
}

TEST(ConsumerProtocol, NewerVersionsAreReadAsFarAsWeKnowThem) {
  ConsumerProtocolAssignment a;
  a.version = 3;
  a.assigned_partitions = {{"t", {5}}};
  auto blob = encode_assignment(a);
  ASSERT_TRUE(blob.has_value());
  (*blob)[1] = std::byte{9};                         // claims version 9
  blob->insert(blob->end(), 4, std::byte{0x11});    // with fields we do not know
  auto back = decode_assignment(*blob);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->version, 9);
  EXPECT_EQ(back->assigned_partitions, a.assigned_partitions);
}

TEST(ConsumerProtocol, EmptyOrTruncatedBlobIsAnError) {
  EXPECT_FALSE(decode_assignment({}).has_value());
  std::vector<std::byte> truncated{std::byte{0}, std::byte{0}, std::byte{0}, std::byte{0}, std::byte{0}};
  EXPECT_FALSE(decode_subscription(truncated).has_value());
}

}  // namespace
}  // namespace velocity::protocol
