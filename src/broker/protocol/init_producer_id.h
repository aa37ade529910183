// InitProducerId (key 22): advertised 0-1, decoded 0-4 (v2+ flexible) because librdkafka
// sends v4 to brokers that offer it. Idempotent producers send TransactionalId = null.
// Plain data; thread-safe as values are.
#pragma once

#include <optional>
#include <string>

#include "broker/protocol/message.h"

namespace velocity::protocol {

struct InitProducerIdRequest {
  static constexpr ApiKey kApiKey = ApiKey::kInitProducerId;
  std::optional<std::string> transactional_id;
  int32_t transaction_timeout_ms = 0;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;

  template <typename V>
  void visit(V& v) {
    v.nstr("TransactionalId", transactional_id);
    v.i32("TransactionTimeoutMs", transaction_timeout_ms);
    if (v.version() >= 3) {
      v.i64("ProducerId", producer_id);
      v.i16("ProducerEpoch", producer_epoch);
    }
  }
  friend bool operator==(const InitProducerIdRequest&, const InitProducerIdRequest&) = default;
};

struct InitProducerIdResponse {
  static constexpr ApiKey kApiKey = ApiKey::kInitProducerId;
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  int64_t producer_id = -1;
  int16_t producer_epoch = 0;

  template <typename V>
  void visit(V& v) {
    v.i32("ThrottleTimeMs", throttle_time_ms);
    v.i16("ErrorCode", error_code);
    v.i64("ProducerId", producer_id);
    v.i16("ProducerEpoch", producer_epoch);
  }
  friend bool operator==(const InitProducerIdResponse&, const InitProducerIdResponse&) = default;
};

}  // namespace velocity::protocol
