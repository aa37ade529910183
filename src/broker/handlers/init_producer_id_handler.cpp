// InitProducerId: gives an idempotent producer a fresh producer id with epoch 0. Transactions
// are not offered, so a transactional id is refused.
#include "broker/group/producer_id_allocator.h"
#include "broker/handlers/handlers.h"
#include "broker/protocol/error_code.h"

namespace velocity::broker {

using protocol::KafkaError;
using protocol::wire;

void handle(HandlerContext& ctx, const RequestHeader&, protocol::InitProducerIdRequest& request, Respond respond) {
  protocol::InitProducerIdResponse response;
  response.producer_id = -1;
  response.producer_epoch = -1;
  if (ctx.producer_ids == nullptr) {
    // Retriable for librdkafka's idempotent producer: it asks again later.
    response.error_code = wire(KafkaError::kCoordinatorNotAvailable);
    respond(std::move(response));
    return;
  }
  // A v3+ request may name the producer's current id and epoch asking for an epoch bump
  // (KIP-360). A fresh id with epoch 0 is an equally valid answer for a non-transactional
  // producer: its sequence numbers restart at 0 either way.
  auto result = ctx.producer_ids->init_producer_id(request.transactional_id);
  switch (result.error) {
    case group::InitProducerIdError::kNone:
      response.producer_id = result.producer_id;
      response.producer_epoch = result.producer_epoch;
      break;
    case group::InitProducerIdError::kTransactionalIdNotSupported:
      // Kafka answers UNSUPPORTED_VERSION when a broker lacks a feature a request needs;
      // clients treat it as fatal for that feature instead of retrying forever.
      response.error_code = wire(KafkaError::kUnsupportedVersion);
      break;
    case group::InitProducerIdError::kStorage:
      // The id high-water mark could not be made durable; nothing was handed out. Retriable.
      response.error_code = wire(KafkaError::kCoordinatorNotAvailable);
      break;
  }
  respond(std::move(response));
}

}  // namespace velocity::broker
