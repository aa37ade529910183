#include "broker/protocol/api_registry.h"

#include <array>

namespace velocity::protocol {
namespace {

// Advertised ranges follow docs/protocol.md: everything non-flexible except ApiVersions v3
// (kafkajs has no flexible support), and every version librdkafka 2.0.2's feature checks
// probe (FindCoordinator 0, Produce 3 and 7, Fetch 4 and 10, ListOffsets 1,
// InitProducerId 0) stays inside. InitProducerId decodes up to v4 because librdkafka sends
// v4 when a broker offers it; we still advertise 0-1 only.
constexpr std::array kApis{
    ApiInfo{ApiKey::kProduce, "Produce", 3, 7, 7, 9},
    ApiInfo{ApiKey::kFetch, "Fetch", 4, 11, 11, 12},
    ApiInfo{ApiKey::kListOffsets, "ListOffsets", 1, 3, 3, 6},
    ApiInfo{ApiKey::kMetadata, "Metadata", 0, 8, 8, 9},
    ApiInfo{ApiKey::kOffsetCommit, "OffsetCommit", 0, 7, 7, 8},
    ApiInfo{ApiKey::kOffsetFetch, "OffsetFetch", 1, 5, 5, 6},
    ApiInfo{ApiKey::kFindCoordinator, "FindCoordinator", 0, 2, 2, 3},
    ApiInfo{ApiKey::kJoinGroup, "JoinGroup", 0, 5, 5, 6},
    ApiInfo{ApiKey::kHeartbeat, "Heartbeat", 0, 3, 3, 4},
    ApiInfo{ApiKey::kLeaveGroup, "LeaveGroup", 0, 3, 3, 4},
    ApiInfo{ApiKey::kSyncGroup, "SyncGroup", 0, 3, 3, 4},
    ApiInfo{ApiKey::kDescribeGroups, "DescribeGroups", 0, 4, 4, 5},
    ApiInfo{ApiKey::kListGroups, "ListGroups", 0, 2, 2, 3},
    ApiInfo{ApiKey::kApiVersions, "ApiVersions", 0, 3, 3, 3},
    ApiInfo{ApiKey::kCreateTopics, "CreateTopics", 0, 4, 4, 5},
    ApiInfo{ApiKey::kDeleteTopics, "DeleteTopics", 0, 3, 3, 4},
    ApiInfo{ApiKey::kDeleteRecords, "DeleteRecords", 0, 1, 1, 2},
    ApiInfo{ApiKey::kInitProducerId, "InitProducerId", 0, 1, 4, 2},
    ApiInfo{ApiKey::kDescribeConfigs, "DescribeConfigs", 0, 2, 2, 4},
    ApiInfo{ApiKey::kCreatePartitions, "CreatePartitions", 0, 1, 1, 2},
    ApiInfo{ApiKey::kDeleteGroups, "DeleteGroups", 0, 1, 1, 2},
    ApiInfo{ApiKey::kOffsetDelete, "OffsetDelete", 0, 0, 0, kNeverFlexible},
};

}  // namespace

std::span<const ApiInfo> supported_apis() { return kApis; }

const ApiInfo* find_api(int16_t key) {
  for (const auto& api : kApis) {
    if (static_cast<int16_t>(api.key) == key) return &api;
  }
  return nullptr;
}

bool is_flexible(ApiKey key, int16_t version) {
  const ApiInfo* api = find_api(static_cast<int16_t>(key));
  return api != nullptr && api->first_flexible != kNeverFlexible && version >= api->first_flexible;
}

bool is_advertised(ApiKey key, int16_t version) {
  const ApiInfo* api = find_api(static_cast<int16_t>(key));
  return api != nullptr && version >= api->min_version && version <= api->max_version;
}

bool is_decodable(ApiKey key, int16_t version) {
  const ApiInfo* api = find_api(static_cast<int16_t>(key));
  return api != nullptr && version >= api->min_version && version <= api->max_decodable;
}

std::string_view api_name(ApiKey key) {
  const ApiInfo* api = find_api(static_cast<int16_t>(key));
  return api == nullptr ? std::string_view("Unknown") : api->name;
}

}  // namespace velocity::protocol
