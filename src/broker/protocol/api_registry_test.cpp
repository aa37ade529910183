#include "broker/protocol/api_registry.h"

#include <gtest/gtest.h>

#include "broker/protocol/error_code.h"

namespace velocity::protocol {
namespace {

// librdkafka <= 2.11.0 enables features by probing single versions (docs/protocol.md).
TEST(ApiRegistry, AdvertisedRangesContainEveryVersionLibrdkafkaProbes) {
  EXPECT_TRUE(is_advertised(ApiKey::kFindCoordinator, 0));
  EXPECT_TRUE(is_advertised(ApiKey::kProduce, 3));
  EXPECT_TRUE(is_advertised(ApiKey::kProduce, 7));
  EXPECT_TRUE(is_advertised(ApiKey::kFetch, 4));
  EXPECT_TRUE(is_advertised(ApiKey::kFetch, 10));
  EXPECT_TRUE(is_advertised(ApiKey::kListOffsets, 1));
  EXPECT_TRUE(is_advertised(ApiKey::kInitProducerId, 0));
  EXPECT_TRUE(is_advertised(ApiKey::kOffsetCommit, 2));
  EXPECT_TRUE(is_advertised(ApiKey::kOffsetFetch, 1));
  EXPECT_TRUE(is_advertised(ApiKey::kJoinGroup, 0));
  EXPECT_TRUE(is_advertised(ApiKey::kListGroups, 0));
  EXPECT_TRUE(is_advertised(ApiKey::kDescribeGroups, 0));
}

TEST(ApiRegistry, OnlyApiVersionsIsAdvertisedFlexible) {
  for (const ApiInfo& api : supported_apis()) {
    for (int16_t v = api.min_version; v <= api.max_version; ++v) {
      EXPECT_EQ(is_flexible(api.key, v), api.key == ApiKey::kApiVersions && v >= 3) << api.name << " v" << v;
    }
    EXPECT_GE(api.max_decodable, api.max_version) << api.name;
  }
}

TEST(ApiRegistry, FlexibilityIsKnownBeyondOurRanges) {
  EXPECT_TRUE(is_flexible(ApiKey::kProduce, 9));
  EXPECT_FALSE(is_flexible(ApiKey::kProduce, 8));
  EXPECT_TRUE(is_flexible(ApiKey::kInitProducerId, 4));
  EXPECT_FALSE(is_flexible(ApiKey::kOffsetDelete, 0));
  EXPECT_FALSE(is_flexible(static_cast<ApiKey>(99), 50));
}

TEST(ApiRegistry, LookupByKey) {
  EXPECT_EQ(find_api(18)->name, "ApiVersions");
  EXPECT_EQ(find_api(17), nullptr);  // SaslHandshake: no SASL listener
  EXPECT_EQ(find_api(23), nullptr);  // OffsetForLeaderEpoch: deliberately not advertised
  EXPECT_FALSE(is_decodable(ApiKey::kListOffsets, 0));
  EXPECT_TRUE(is_decodable(ApiKey::kInitProducerId, 4));
  EXPECT_FALSE(is_advertised(ApiKey::kInitProducerId, 4));
}

TEST(KafkaErrorMapping, EveryInternalErrorHasTheDocumentedKafkaCode) {
  EXPECT_EQ(to_kafka_error(ErrorCode::kInvalidArgument), KafkaError::kInvalidRequest);
  EXPECT_EQ(to_kafka_error(ErrorCode::kCorrupt), KafkaError::kCorruptMessage);
  EXPECT_EQ(to_kafka_error(ErrorCode::kNotFound), KafkaError::kUnknownTopicOrPartition);
  EXPECT_EQ(to_kafka_error(ErrorCode::kAlreadyExists), KafkaError::kTopicAlreadyExists);
  EXPECT_EQ(to_kafka_error(ErrorCode::kOutOfRange), KafkaError::kOffsetOutOfRange);
  EXPECT_EQ(to_kafka_error(ErrorCode::kIo), KafkaError::kKafkaStorageError);
  EXPECT_EQ(to_kafka_error(ErrorCode::kFenced), KafkaError::kKafkaStorageError);
  EXPECT_EQ(to_kafka_error(ErrorCode::kUnsupported), KafkaError::kUnsupportedForMessageFormat);
  EXPECT_EQ(to_kafka_error(ErrorCode::kTooLarge), KafkaError::kMessageTooLarge);
  EXPECT_EQ(to_kafka_error(ErrorCode::kTimeout), KafkaError::kRequestTimedOut);
  EXPECT_EQ(to_kafka_error(ErrorCode::kClosed), KafkaError::kUnknownServerError);
  EXPECT_EQ(to_kafka_error(ErrorCode::kInternal), KafkaError::kUnknownServerError);
  EXPECT_EQ(to_kafka_error(Error{ErrorCode::kIo, "fsync"}), KafkaError::kKafkaStorageError);
}

TEST(KafkaErrorMapping, WireValuesAndNamesFollowKafka) {
  EXPECT_EQ(wire(KafkaError::kUnsupportedVersion), 35);
  EXPECT_EQ(wire(KafkaError::kUnknownServerError), -1);
  EXPECT_EQ(wire(KafkaError::kMemberIdRequired), 79);
  EXPECT_EQ(kafka_error_name(KafkaError::kRebalanceInProgress), "REBALANCE_IN_PROGRESS");
  EXPECT_EQ(kafka_error_name(static_cast<KafkaError>(1234)), "UNKNOWN_ERROR_CODE");
}

}  // namespace
}  // namespace velocity::protocol
