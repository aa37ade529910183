// KafkaAdmin's consumer-group calls: ListConsumerGroups, DescribeConsumerGroups,
// ListConsumerGroupOffsets, and a commit made the way admin tools make it.
#include <algorithm>
#include <array>

#include "cli/admin_request.h"
#include "cli/kafka_admin.h"

namespace velocity::cli {
namespace {

GroupInfo to_group_info(const rd_kafka_ConsumerGroupDescription_t* description) {
  GroupInfo info;
  info.name = rd_kafka_ConsumerGroupDescription_group_id(description);
  info.state = rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(description));
  if (const char* assignor = rd_kafka_ConsumerGroupDescription_partition_assignor(description)) {
    info.assignor = assignor;
  }
  if (const auto* node = rd_kafka_ConsumerGroupDescription_coordinator(description)) {
    info.coordinator = rd_kafka_Node_id(node);
  }
  const auto count = rd_kafka_ConsumerGroupDescription_member_count(description);
  for (std::size_t i = 0; i < count; ++i) {
    const auto* member = rd_kafka_ConsumerGroupDescription_member(description, i);
    GroupMember out;
    out.member_id = rd_kafka_MemberDescription_consumer_id(member);
    out.client_id = rd_kafka_MemberDescription_client_id(member);
    out.host = rd_kafka_MemberDescription_host(member);
    if (const auto* assignment = rd_kafka_MemberDescription_assignment(member)) {
      if (const auto* partitions = rd_kafka_MemberAssignment_partitions(assignment)) {
        for (int p = 0; p < partitions->cnt; ++p) {
          out.assignment.emplace_back(partitions->elems[p].topic, partitions->elems[p].partition);
        }
      }
    }
    std::ranges::sort(out.assignment);
    info.members.push_back(std::move(out));
  }
  std::ranges::sort(info.members, {}, &GroupMember::member_id);
  return info;
}

}  // namespace

Result<std::vector<GroupInfo>> KafkaAdmin::list_groups() {
  const std::string what = "list consumer groups";
  Queue queue(rd_kafka_queue_new(handle_.get()));
  auto options = admin_options(handle_.get(), RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS,
                               globals_->request_timeout);
  rd_kafka_ListConsumerGroups(handle_.get(), options.get(), queue.get());
  auto event = await_admin_result(queue.get(), RD_KAFKA_EVENT_LISTCONSUMERGROUPS_RESULT,
                                  globals_->request_timeout, what);
  if (!event) return std::unexpected(event.error());
  const auto* result = rd_kafka_event_ListConsumerGroups_result(event->get());
  std::size_t error_count = 0;
  const auto* errors = rd_kafka_ListConsumerGroups_result_errors(result, &error_count);
  if (error_count > 0) {
    return kafka_failure(what, rd_kafka_error_code(errors[0]), rd_kafka_error_string(errors[0]));
  }
  std::size_t count = 0;
  const auto* listings = rd_kafka_ListConsumerGroups_result_valid(result, &count);
  std::vector<GroupInfo> groups;
  for (std::size_t i = 0; i < count; ++i) {
    // Members and assignor come from DescribeGroups; the listing only has names.
    auto described = describe_group(rd_kafka_ConsumerGroupListing_group_id(listings[i]));
    if (!described) return std::unexpected(described.error());
    groups.push_back(std::move(*described));
  }
  std::ranges::sort(groups, {}, &GroupInfo::name);
  return groups;
}

Result<GroupInfo> KafkaAdmin::describe_group(const std::string& group) {
  const std::string what = "describe group " + group;
  Queue queue(rd_kafka_queue_new(handle_.get()));
  auto options = admin_options(handle_.get(), RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS,
                               globals_->request_timeout);
  const char* names[] = {group.c_str()};
  rd_kafka_DescribeConsumerGroups(handle_.get(), names, 1, options.get(), queue.get());
  auto event = await_admin_result(queue.get(), RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT,
                                  globals_->request_timeout, what);
  if (!event) return std::unexpected(event.error());
  std::size_t count = 0;
  const auto* groups = rd_kafka_DescribeConsumerGroups_result_groups(
      rd_kafka_event_DescribeConsumerGroups_result(event->get()), &count);
  if (count != 1) return fail(ErrorCode::kInternal, what + ": no result for the group");
  if (const auto* error = rd_kafka_ConsumerGroupDescription_error(groups[0])) {
    return kafka_failure(what, rd_kafka_error_code(error), rd_kafka_error_string(error));
  }
  return to_group_info(groups[0]);
}

Result<OffsetMap> KafkaAdmin::committed_offsets(const std::string& group) {
  const std::string what = "committed offsets of group " + group;
  Queue queue(rd_kafka_queue_new(handle_.get()));
  auto options = admin_options(handle_.get(), RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS,
                               globals_->request_timeout);
  // Every partition of every topic: OffsetFetch for "all topics" (a null list) is not
  // something every client and broker version agree on.
  auto topics = metadata();
  if (!topics) return std::unexpected(topics.error());
  OffsetMap offsets;
  if (topics->empty()) return offsets;
  PartitionList wanted(rd_kafka_topic_partition_list_new(0));
  for (const auto& topic : *topics) {
    for (const auto& partition : topic.partitions) {
      rd_kafka_topic_partition_list_add(wanted.get(), topic.name.c_str(), partition.id);
    }
  }
  rd_kafka_ListConsumerGroupOffsets_t* request =
      rd_kafka_ListConsumerGroupOffsets_new(group.c_str(), wanted.get());
  rd_kafka_ListConsumerGroupOffsets(handle_.get(), &request, 1, options.get(), queue.get());
  rd_kafka_ListConsumerGroupOffsets_destroy(request);
  auto event = await_admin_result(queue.get(), RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT,
                                  globals_->request_timeout, what);
  if (!event) return std::unexpected(event.error());
  std::size_t count = 0;
  const auto* results = rd_kafka_ListConsumerGroupOffsets_result_groups(
      rd_kafka_event_ListConsumerGroupOffsets_result(event->get()), &count);
  if (count != 1) return fail(ErrorCode::kInternal, what + ": no result for the group");
  if (const auto* error = rd_kafka_group_result_error(results[0])) {
    return kafka_failure(what, rd_kafka_error_code(error), rd_kafka_error_string(error));
  }
  if (const auto* partitions = rd_kafka_group_result_partitions(results[0])) {
    for (int i = 0; i < partitions->cnt; ++i) {
      const auto& element = partitions->elems[i];
      if (element.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return kafka_failure(what + " (" + element.topic + "/" + std::to_string(element.partition) + ")",
                             element.err);
      }
      if (element.offset >= 0) offsets[{element.topic, element.partition}] = element.offset;
    }
  }
  return offsets;
}

Result<void> KafkaAdmin::commit_offsets(const std::string& group, const OffsetMap& offsets) {
  const std::string what = "commit offsets of group " + group;
  // A consumer that never subscribes commits with generation -1, the "simple" commit that
  // the coordinator accepts only while the group has no members.
  auto consumer = new_client(RD_KAFKA_CONSUMER, *globals_,
                             {{"group.id", group}, {"enable.auto.commit", "false"}});
  if (!consumer) return std::unexpected(consumer.error());
  PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const auto& [where, offset] : offsets) {
    rd_kafka_topic_partition_list_add(list.get(), where.first.c_str(), where.second)->offset = offset;
  }
  const auto err = rd_kafka_commit(consumer->get(), list.get(), 0);
  Result<void> outcome;
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    outcome = kafka_failure(what, err);
  } else {
    for (int i = 0; i < list->cnt; ++i) {
      if (list->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        outcome = kafka_failure(what + " (" + list->elems[i].topic + "/" +
                                    std::to_string(list->elems[i].partition) + ")",
                                list->elems[i].err);
        break;
      }
    }
  }
  rd_kafka_consumer_close(consumer->get());
  return outcome;
}

}  // namespace velocity::cli
