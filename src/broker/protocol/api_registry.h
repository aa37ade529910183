// The one list of Kafka APIs the broker speaks: key, name, the version range we advertise in
// ApiVersions, the range our codec decodes, and the first flexible version (from the official
// schemas, valid for any version, so request headers of versions we do not speak still parse).
// Immutable data; thread-safe. Why each range: docs/protocol.md.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace velocity::protocol {

enum class ApiKey : int16_t {
  kProduce = 0,
  kFetch = 1,
  kListOffsets = 2,
  kMetadata = 3,
  kOffsetCommit = 8,
  kOffsetFetch = 9,
  kFindCoordinator = 10,
  kJoinGroup = 11,
  kHeartbeat = 12,
  kLeaveGroup = 13,
  kSyncGroup = 14,
  kDescribeGroups = 15,
  kListGroups = 16,
  kApiVersions = 18,
  kCreateTopics = 19,
  kDeleteTopics = 20,
  kDeleteRecords = 21,
  kInitProducerId = 22,
  kDescribeConfigs = 32,
  kCreatePartitions = 37,
  kDeleteGroups = 42,
  kOffsetDelete = 47,
};

inline constexpr int16_t kNeverFlexible = -1;

struct ApiInfo {
  ApiKey key;
  std::string_view name;
  int16_t min_version;     // advertised in ApiVersions
  int16_t max_version;     // advertised in ApiVersions
  int16_t max_decodable;   // >= max_version: our codec also reads a few newer client versions
  int16_t first_flexible;  // kNeverFlexible if no version is flexible
};

// Every supported API, ordered by key.
std::span<const ApiInfo> supported_apis();

// nullptr if we do not speak that key at all.
const ApiInfo* find_api(int16_t key);

inline const ApiInfo& api_info(ApiKey key) { return *find_api(static_cast<int16_t>(key)); }

// True if (key, version) uses compact types and tagged fields (and request header v2).
bool is_flexible(ApiKey key, int16_t version);

// True if the version lies in the range we advertise.
bool is_advertised(ApiKey key, int16_t version);

// True if decode_request accepts the version (advertised range plus max_decodable).
bool is_decodable(ApiKey key, int16_t version);

std::string_view api_name(ApiKey key);

}  // namespace velocity::protocol
