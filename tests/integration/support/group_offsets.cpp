#include "support/group_offsets.h"

#include <memory>
#include <vector>

#include <fmt/format.h>
#include <librdkafka/rdkafkacpp.h>

#include "support/kafka_clients.h"

namespace velocity::testing {

Result<std::map<std::int32_t, std::int64_t>> committed_offsets(const std::string& bootstrap,
                                                               const std::string& group,
                                                               const std::string& topic,
                                                               int partitions,
                                                               std::chrono::milliseconds timeout) {
  // committed() asks the group coordinator (OffsetFetch); the consumer never subscribes, so it
  // does not join the group it inspects.
  auto conf = client_conf(bootstrap, {{"group.id", group}, {"enable.auto.commit", "false"}});
  if (!conf) return std::unexpected(conf.error());
  std::string errstr;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf->get(), errstr));
  if (!consumer) return fail(ErrorCode::kInternal, fmt::format("consumer: {}", errstr));
  std::vector<RdKafka::TopicPartition*> list;
  for (int p = 0; p < partitions; ++p) list.push_back(RdKafka::TopicPartition::create(topic, p));
  const auto err = consumer->committed(list, static_cast<int>(timeout.count()));
  std::map<std::int32_t, std::int64_t> result;
  for (const auto* tp : list) result[tp->partition()] = tp->offset();
  RdKafka::TopicPartition::destroy(list);
  consumer->close();
  if (err != RdKafka::ERR_NO_ERROR) {
    return fail(ErrorCode::kInternal,
                fmt::format("committed offsets of group {}: {}", group, RdKafka::err2str(err)));
  }
  return result;
}

Result<std::map<std::int32_t, std::int64_t>> group_lag(const std::string& bootstrap,
                                                       const std::string& group,
                                                       const std::string& topic, int partitions) {
  auto committed = committed_offsets(bootstrap, group, topic, partitions);
  if (!committed) return std::unexpected(committed.error());
  std::map<std::int32_t, std::int64_t> lag;
  for (int p = 0; p < partitions; ++p) {
    auto marks = query_watermarks(bootstrap, topic, p);
    if (!marks) return std::unexpected(marks.error());
    const std::int64_t from = (*committed)[p] >= 0 ? (*committed)[p] : marks->first;
    lag[p] = marks->second - from;
  }
  return lag;
}

}  // namespace velocity::testing
