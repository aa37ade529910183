// The codec's front door: a request frame in, header + typed body out; a typed response body
// in, a ready-to-send frame out. A "frame" here is what follows the 4-byte size prefix on
// decode; the encoders write the size prefix themselves. Decoded bodies hold views (Records)
// into the frame, so keep the frame alive while using them. Stateless; thread-safe.
#pragma once

#include <cstdint>
#include <variant>

#include "broker/protocol/api_registry.h"
#include "broker/protocol/api_versions.h"
#include "broker/protocol/create_partitions.h"
#include "broker/protocol/create_topics.h"
#include "broker/protocol/delete_groups.h"
#include "broker/protocol/delete_records.h"
#include "broker/protocol/delete_topics.h"
#include "broker/protocol/describe_configs.h"
#include "broker/protocol/describe_groups.h"
#include "broker/protocol/fetch.h"
#include "broker/protocol/find_coordinator.h"
#include "broker/protocol/header.h"
#include "broker/protocol/heartbeat.h"
#include "broker/protocol/init_producer_id.h"
#include "broker/protocol/join_group.h"
#include "broker/protocol/leave_group.h"
#include "broker/protocol/list_groups.h"
#include "broker/protocol/list_offsets.h"
#include "broker/protocol/metadata.h"
#include "broker/protocol/offset_commit.h"
#include "broker/protocol/offset_delete.h"
#include "broker/protocol/offset_fetch.h"
#include "broker/protocol/produce.h"
#include "broker/protocol/sync_group.h"
#include "common/result.h"

namespace velocity::protocol {

using RequestBody =
    std::variant<ProduceRequest, FetchRequest, ListOffsetsRequest, MetadataRequest, OffsetCommitRequest,
                 OffsetFetchRequest, FindCoordinatorRequest, JoinGroupRequest, HeartbeatRequest, LeaveGroupRequest,
                 SyncGroupRequest, DescribeGroupsRequest, ListGroupsRequest, ApiVersionsRequest, CreateTopicsRequest,
                 DeleteTopicsRequest, DeleteRecordsRequest, InitProducerIdRequest, DescribeConfigsRequest,
                 CreatePartitionsRequest, DeleteGroupsRequest, OffsetDeleteRequest>;

using ResponseBody =
    std::variant<ProduceResponse, FetchResponse, ListOffsetsResponse, MetadataResponse, OffsetCommitResponse,
                 OffsetFetchResponse, FindCoordinatorResponse, JoinGroupResponse, HeartbeatResponse,
                 LeaveGroupResponse, SyncGroupResponse, DescribeGroupsResponse, ListGroupsResponse,
                 ApiVersionsResponse, CreateTopicsResponse, DeleteTopicsResponse, DeleteRecordsResponse,
                 InitProducerIdResponse, DescribeConfigsResponse, CreatePartitionsResponse, DeleteGroupsResponse,
                 OffsetDeleteResponse>;

struct Request {
  RequestHeader header;
  RequestBody body;
};

struct Response {
  int32_t correlation_id = 0;
  ResponseBody body;
};

ApiKey api_key_of(const RequestBody& body);
ApiKey api_key_of(const ResponseBody& body);

// The header alone: enough to answer an ApiVersions request of a version we do not speak
// (encode_api_versions_fallback) or to log what a bad frame claimed to be.
[[nodiscard]] Result<RequestHeader> decode_request_header(ByteView frame);

// Errors: ErrorCode::kUnsupported for an API key we do not speak or a version outside
// [min_version, max_decodable]; ErrorCode::kCorrupt for anything malformed, including
// trailing bytes after the body (a well-formed client never sends them). Unknown tagged
// fields are skipped.
[[nodiscard]] Result<Request> decode_request(ByteView frame);

// Appends size prefix, response header (v0/v1 per header.h) and body to `out`. Errors only
// for bodies the version cannot express (a null where it is not nullable, an over-long
// string). The body's type names the API.
[[nodiscard]] Result<void> encode_response(Writer& out, int32_t correlation_id, int16_t api_version,
                                           const ResponseBody& body);

// Appends the answer to an ApiVersions request whose version we do not speak: response
// header v0, then a v0 body with error 35 UNSUPPORTED_VERSION listing only ApiVersions and
// our range for it, as Kafka does; clients then retry with a version from that range.
void encode_api_versions_fallback(Writer& out, int32_t correlation_id);

// The client side, for tests and tools: a request frame with size prefix; and a response
// frame (after its size prefix) of a request sent with (key, api_version).
[[nodiscard]] Result<void> encode_request(Writer& out, const RequestHeader& header, const RequestBody& body);
[[nodiscard]] Result<Response> decode_response(ApiKey key, int16_t api_version, ByteView frame);

}  // namespace velocity::protocol
