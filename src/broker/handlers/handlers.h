// One function per Kafka API, each defined in its own file (<api>_handler.cpp). A handler
// reads its decoded request and answers through `respond`, now or later, exactly once.
// Kafka error codes are chosen inside handlers through protocol/error_code.h.
#pragma once

#include "broker/handlers/context.h"
#include "broker/protocol/codec.h"

namespace velocity::broker {

using protocol::RequestHeader;

void handle(HandlerContext& ctx, const RequestHeader& header, protocol::ApiVersionsRequest& request, Respond respond);
void handle(HandlerContext& ctx, const RequestHeader& header, protocol::MetadataRequest& request, Respond respond);
void handle(HandlerContext& ctx, const RequestHeader& header, protocol::ProduceRequest& request, Respond respond);
void handle(HandlerContext& ctx, const RequestHeader& header, protocol::FetchRequest& request, Respond respond);
void handle(HandlerContext& ctx, const RequestHeader& header, protocol::ListOffsetsRequest& request, Respond respond);
void handle(HandlerContext& ctx, const RequestHeader& header, protocol::InitProducerIdRequest& request, Respond respond);
void handle(HandlerContext& ctx, const RequestHeader& header, protocol::CreateTopicsRequest& request, Respond respond);
void handle(HandlerContext& ctx, const RequestHeader& header, protocol::DeleteTopicsRequest& request, Respond respond);
void handle(HandlerContext& ctx, const RequestHeader& header, protocol::CreatePartitionsRequest& request, Respond respond);
void handle(HandlerContext& ctx, const RequestHeader& header, protocol::DeleteRecordsRequest& request, Respond respond);
void handle(HandlerContext& ctx, const RequestHeader& header, protocol::DescribeConfigsRequest& request, Respond respond);

// Consumer groups.
void handle(HandlerContext& ctx, const RequestHeader& header, protocol::FindCoordinatorRequest& request, Respond respond);
void handle(HandlerContext& ctx, const RequestHeader& header, protocol::JoinGroupRequest& request, Respond respond);
void handle(HandlerContext& ctx, const RequestHeader& header, protocol::SyncGroupRequest& request, Respond respond);
void handle(HandlerContext& ctx, const RequestHeader& header, protocol::HeartbeatRequest& request, Respond respond);
void handle(HandlerContext& ctx, const RequestHeader& header, protocol::LeaveGroupRequest& request, Respond respond);
void handle(HandlerContext& ctx, const RequestHeader& header, protocol::OffsetCommitRequest& request, Respond respond);
void handle(HandlerContext& ctx, const RequestHeader& header, protocol::OffsetFetchRequest& request, Respond respond);
void handle(HandlerContext& ctx, const RequestHeader& header, protocol::DescribeGroupsRequest& request, Respond respond);
void handle(HandlerContext& ctx, const RequestHeader& header, protocol::ListGroupsRequest& request, Respond respond);
void handle(HandlerContext& ctx, const RequestHeader& header, protocol::DeleteGroupsRequest& request, Respond respond);
void handle(HandlerContext& ctx, const RequestHeader& header, protocol::OffsetDeleteRequest& request, Respond respond);

}  // namespace velocity::broker
