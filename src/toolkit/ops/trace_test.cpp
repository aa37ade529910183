#include "velocity/trace.h"

#include <gtest/gtest.h>

namespace velocity::trace {
namespace {

constexpr std::string_view kExample = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(Traceparent, SpecificationExampleParsesAndFormatsBackIdentically) {
  auto parsed = parse_traceparent(kExample);
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(parsed->trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(parsed->parent_id_hex(), "00f067aa0ba902b7");
  EXPECT_TRUE(parsed->sampled());
  EXPECT_EQ(format_traceparent(*parsed), kExample);
}

TEST(Traceparent, UnsampledFlagIsKept) {
  auto parsed = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
  ASSERT_TRUE(parsed);
  EXPECT_FALSE(parsed->sampled());
}

TEST(Traceparent, MalformedHeadersAreRejected) {
  for (std::string_view bad : {
           "",
           "00-trace-01",
           "00-4bf92f3577b34da6-01",
           "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  // zero trace id
           "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  // zero parent id
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  // uppercase
           "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",  // not hex
           "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  // forbidden version
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
           "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
       }) {
    auto parsed = parse_traceparent(bad);
    EXPECT_FALSE(parsed) << "accepted: " << bad;
    if (!parsed) {
      EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
    }
  }
}

TEST(Traceparent, LaterVersionIsReadByItsVersion00Prefix) {
  auto parsed = parse_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(format_traceparent(*parsed), kExample);
  EXPECT_FALSE(parse_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01future"));
}

TEST(Traceparent, ChildKeepsTraceAndFlagsWithANewSpan) {
  auto parent = *parse_traceparent(kExample);
  auto child = child_of(parent);
  EXPECT_EQ(child.trace_id, parent.trace_id);
  EXPECT_EQ(child.flags, parent.flags);
  EXPECT_NE(child.parent_id, parent.parent_id);
  EXPECT_TRUE(parse_traceparent(format_traceparent(child)));
}

TEST(Traceparent, NewRootsAreValidAndDistinct) {
  auto a = new_root();
  auto b = new_root(false);
  EXPECT_NE(a.trace_id, b.trace_id);
  EXPECT_TRUE(a.sampled());
  EXPECT_FALSE(b.sampled());
  EXPECT_TRUE(parse_traceparent(format_traceparent(a)));
  EXPECT_TRUE(parse_traceparent(format_traceparent(b)));
}

TEST(Traceparent, MessageCarriesContextAcrossAHop) {
  Message incoming;
  incoming.headers.push_back({"traceparent", std::string(kExample)});
  auto extracted = extract(incoming);
  ASSERT_TRUE(extracted);

  Message outgoing;
  outgoing.headers.push_back({"traceparent", "stale"});
  inject(outgoing, continue_from(incoming));
  ASSERT_EQ(outgoing.headers.size(), 1u);
  auto sent = extract(outgoing);
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->trace_id, extracted->trace_id);
  EXPECT_NE(sent->parent_id, extracted->parent_id);
}

TEST(Traceparent, MalformedOrMissingHeaderStartsANewTrace) {
  Message malformed;
  malformed.headers.push_back({"traceparent", "00-trace-01"});
  EXPECT_FALSE(extract(malformed));
  EXPECT_TRUE(parse_traceparent(format_traceparent(continue_from(malformed))));
  EXPECT_FALSE(extract(Message{}));
}

TEST(Traceparent, ScopeSetsAndRestoresTheCurrentTrace) {
  EXPECT_FALSE(current());
  auto outer = new_root();
  {
    Scope outer_scope(outer);
    EXPECT_EQ(current(), outer);
    auto inner = child_of(outer);
    {
      Scope inner_scope(inner);
      EXPECT_EQ(current(), inner);
    }
    EXPECT_EQ(current(), outer);
  }
  EXPECT_FALSE(current());
}

}  // namespace
}  // namespace velocity::trace
