#include "velocity/event.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <regex>

namespace velocity {
namespace {

struct OrderPlaced {
  static constexpr std::string_view kType = "shop.order.placed.v1";
  std::string order_id;
  int64_t total_cents = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(OrderPlaced, order_id, total_cents)

struct OrderCancelled {
  static constexpr std::string_view kType = "shop.order.cancelled.v1";
  std::string order_id;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(OrderCancelled, order_id)

Message placed_message() {
  auto event = make_event("/services/orders", "order-7", OrderPlaced{"order-7", 1999},
                          "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  return to_message(event, "orders").value();
}

TEST(Event, EncodesTheBinaryModeKafkaBinding) {
  const auto m = placed_message();
  EXPECT_EQ(m.topic, "orders");
  EXPECT_EQ(m.key, "order-7");
  EXPECT_EQ(m.header("ce_specversion"), "1.0");
  EXPECT_EQ(m.header("ce_type"), "shop.order.placed.v1");
  EXPECT_EQ(m.header("ce_source"), "/services/orders");
  EXPECT_EQ(m.header("ce_subject"), "order-7");
  EXPECT_EQ(m.header("content-type"), "application/json");
  EXPECT_EQ(m.header("traceparent"), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  EXPECT_TRUE(std::regex_match(std::string(*m.header("ce_id")),
                               std::regex("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
  EXPECT_EQ(nlohmann::json::parse(m.payload), (nlohmann::json{{"order_id", "order-7"}, {"total_cents", 1999}}));
}

TEST(Event, RoundTripsThroughAMessage) {
  const auto original = make_event("/services/orders", "order-7", OrderPlaced{"order-7", 1999});
  const auto decoded = from_message(to_message(original, "orders").value());
  ASSERT_TRUE(decoded) << decoded.error().message();
  EXPECT_EQ(decoded->id, original.id);
  EXPECT_EQ(decoded->source, original.source);
  EXPECT_EQ(decoded->type, original.type);
  EXPECT_EQ(decoded->subject, "order-7");
  EXPECT_EQ(decoded->time, std::chrono::floor<std::chrono::milliseconds>(original.time));
  EXPECT_EQ(decoded->data, original.data);
  EXPECT_FALSE(decoded->traceparent);
}

TEST(Event, DecodesTypedDataOfItsOwnContractOnly) {
  const auto event = from_message(placed_message()).value();
  const auto placed = decode<OrderPlaced>(event);
  ASSERT_TRUE(placed);
  EXPECT_EQ(placed->order_id, "order-7");
  EXPECT_EQ(placed->total_cents, 1999);
  const auto cancelled = decode<OrderCancelled>(event);
  ASSERT_FALSE(cancelled);
  EXPECT_EQ(cancelled.error().code, ErrorCode::kInvalidArgument);
}

TEST(Event, DataThatDoesNotFitTheContractIsCorruptNotACrash) {
  auto event = from_message(placed_message()).value();
  event.data = nlohmann::json{{"order_id", 42}};
  const auto placed = decode<OrderPlaced>(event);
  ASSERT_FALSE(placed);
  EXPECT_EQ(placed.error().code, ErrorCode::kCorrupt);
}

TEST(Event, MissingRequiredAttributeIsNamedInTheError) {
  for (const auto* name : {"ce_specversion", "ce_id", "ce_source", "ce_type"}) {
    auto m = placed_message();
    std::erase_if(m.headers, [&](const Header& h) { return h.name == name; });
    const auto decoded = from_message(m);
    ASSERT_FALSE(decoded) << name;
    EXPECT_EQ(decoded.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(decoded.error().context.find(name), std::string::npos) << decoded.error().context;
  }
}

TEST(Event, EmptyRequiredAttributeIsRejected) {
  auto m = placed_message();
  m.set_header("ce_type", "");
  EXPECT_EQ(from_message(m).error().code, ErrorCode::kInvalidArgument);
}

TEST(Event, OtherSpecVersionIsUnsupported) {
  auto m = placed_message();
  m.set_header("ce_specversion", "0.3");
  EXPECT_EQ(from_message(m).error().code, ErrorCode::kUnsupported);
}

TEST(Event, NonJsonContentTypeIsUnsupported) {
  auto m = placed_message();
  m.set_header("content-type", "application/avro");
  EXPECT_EQ(from_message(m).error().code, ErrorCode::kUnsupported);
  m.set_header("content-type", "application/cloudevents+json; charset=utf-8");
  EXPECT_TRUE(from_message(m));
}

TEST(Event, InvalidTimeIsRejected) {
  auto m = placed_message();
  m.set_header("ce_time", "yesterday");
  const auto decoded = from_message(m);
  ASSERT_FALSE(decoded);
  EXPECT_NE(decoded.error().context.find("ce_time"), std::string::npos);
}

TEST(Event, UndecodableJsonPayloadIsCorrupt) {
  auto m = placed_message();
  m.payload = "{\"order_id\": ";
  EXPECT_EQ(from_message(m).error().code, ErrorCode::kCorrupt);
}

TEST(Event, MissingSubjectFallsBackToTheKey) {
  auto m = placed_message();
  std::erase_if(m.headers, [](const Header& h) { return h.name == "ce_subject"; });
  EXPECT_EQ(from_message(m)->subject, "order-7");
}

TEST(Event, EncodingWithoutTypeFails) {
  Event event = make_event("/s", "k", OrderCancelled{"k"});
  event.type.clear();
  EXPECT_EQ(to_message(event, "orders").error().code, ErrorCode::kInvalidArgument);
}

TEST(EventId, IsAVersion7UuidStampedWithTheCurrentMillisecond) {
  const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  const std::string id = new_event_id();
  const auto after = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
  ASSERT_TRUE(std::regex_match(id, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")))
      << id;
  const auto stamped = static_cast<int64_t>(std::stoull(id.substr(0, 8) + id.substr(9, 4), nullptr, 16));
  EXPECT_GE(stamped, before);
  EXPECT_LE(stamped, after);
}

TEST(EventId, IdsDrawnLaterSortLaterAndNeverRepeat) {
  // Far more than fit in one millisecond's counter, so the counter's overflow is crossed too.
  std::vector<std::string> ids;
  for (int i = 0; i < 20000; ++i) ids.push_back(new_event_id());
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end());
}

TEST(Rfc3339, ParsesOffsetsAndFractions) {
  const auto utc = parse_rfc3339("2024-05-01T12:30:00.5Z").value();
  EXPECT_EQ(parse_rfc3339("2024-05-01T14:30:00.500+02:00").value(), utc);
  EXPECT_EQ(format_rfc3339(utc), "2024-05-01T12:30:00.500Z");
  EXPECT_EQ(format_rfc3339(std::chrono::system_clock::time_point{}), "1970-01-01T00:00:00.000Z");
  const auto last_of_1999 = parse_rfc3339("1999-12-31T23:59:59.999Z").value();
  EXPECT_EQ(format_rfc3339(last_of_1999), "1999-12-31T23:59:59.999Z");
  EXPECT_EQ(format_rfc3339(last_of_1999 + std::chrono::milliseconds(1)), "2000-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339(parse_rfc3339("2024-02-29T07:08:09.010Z").value()), "2024-02-29T07:08:09.010Z");
  EXPECT_EQ(parse_rfc3339("2024-05-01T12:30:00Z").value(), parse_rfc3339("2024-05-01T07:30:00-05:00").value());
}

TEST(Rfc3339, RejectsMalformedTimestamps) {
  for (const auto* text : {"", "2024-05-01", "2024-05-01T12:30:00", "2024-13-01T00:00:00Z",
                           "2024-02-30T00:00:00Z", "2024-05-01T12:30:00.Z", "2024-05-01T12:30:00Zjunk",
                           "2024-05-01T25:00:00Z", "2024-05-01T12:30:00+0200"}) {
    EXPECT_FALSE(parse_rfc3339(text)) << text;
  }
}

}  // namespace
}  // namespace velocity
