// Our hand-written message definitions against the official JSON schemas: for every (API,
// version) we decode, the fields our visit() walks — name, type, nullability, order, tag
// buffers — must be exactly the schema's non-tagged fields of that version. The schemas are
// read at test time from shared/kafka-protocol/messages; a missing file fails the test.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "broker/protocol/codec.h"
#include "broker/protocol/consumer_protocol.h"
#include "broker/protocol/message_samples.h"

namespace velocity::protocol {
namespace {

using Json = nlohmann::json;

// Records the field sequence a visit() walks, one token per field: "Name:type[?]".
class FieldTracer {
 public:
  FieldTracer(int16_t version, bool flexible) : version_(version), flexible_(flexible) {}
  int16_t version() const { return version_; }
  bool flexible() const { return flexible_; }
  std::vector<std::string> tokens;

  void i8(const char* n, int8_t&) { add(n, "int8"); }
  void i16(const char* n, int16_t&) { add(n, "int16"); }
  void i32(const char* n, int32_t&) { add(n, "int32"); }
  void i64(const char* n, int64_t&) { add(n, "int64"); }
  void boolean(const char* n, bool&) { add(n, "bool"); }
  void uuid(const char* n, Uuid&) { add(n, "uuid"); }
  void str(const char* n, std::string&) { add(n, "string"); }
  void nstr(const char* n, std::optional<std::string>&, bool nullable = true) {
    add(n, nullable ? "string?" : "string");
  }
  void bytes(const char* n, Bytes&) { add(n, "bytes"); }
  void nbytes(const char* n, std::optional<Bytes>&) { add(n, "bytes?"); }
  void records(const char* n, Records&) { add(n, "records?"); }
  void tagged_fields() {
    if (flexible_) tokens.push_back("<tags>");
  }
  template <typename T>
  void array(const char* n, std::vector<T>&) {
    add(n, "[]");
    T element{};
    visit_element(*this, element);
  }
  template <typename T>
  void narray(const char* n, std::optional<std::vector<T>>&, bool nullable = true) {
    add(n, nullable ? "[]?" : "[]");
    T element{};
    visit_element(*this, element);
  }

 private:
  void add(const char* name, const char* type) { tokens.push_back(std::string(name) + ":" + type); }
  int16_t version_;
  bool flexible_;
};

// "3+", "0-2", "5", "none".
bool in_versions(const Json& field, const char* key, int version) {
  if (!field.contains(key)) return false;
  std::string range = field[key];
  if (range == "none") return false;
  if (range.back() == '+') return version >= std::stoi(range);
  auto dash = range.find('-');
  if (dash == std::string::npos) return version == std::stoi(range);
  return version >= std::stoi(range.substr(0, dash)) && version <= std::stoi(range.substr(dash + 1));
}

bool is_primitive(const std::string& type) {
  static const char* kTypes[] = {"int8",  "int16", "int32",   "int64", "uint16", "bool",
                                 "uuid",  "string", "bytes", "records", "float64"};
  return std::ranges::find(kTypes, type) != std::end(kTypes);
}

class SchemaWalker {
 public:
  SchemaWalker(const Json& schema, int version, bool flexible) : version_(version), flexible_(flexible) {
    for (const auto& common : schema.value("commonStructs", Json::array())) commons_[common["name"]] = common;
  }
  std::vector<std::string> tokens;

  void walk(const Json& fields) {
    for (const auto& field : fields) {
      if (!in_versions(field, "versions", version_)) continue;
      if (in_versions(field, "taggedVersions", version_)) continue;  // lives in the tag buffer
      bool nullable = in_versions(field, "nullableVersions", version_);
      std::string name = field["name"];
      std::string type = field["type"];
      if (type.rfind("[]", 0) == 0) {
        std::string element = type.substr(2);
        tokens.push_back(name + ":[]" + (nullable ? "?" : ""));
        if (is_primitive(element)) {
          tokens.push_back(":" + element);
        } else {
          walk(field.contains("fields") ? field["fields"] : commons_.at(element)["fields"]);
          if (flexible_) tokens.push_back("<tags>");
        }
      } else {
        ASSERT_TRUE(is_primitive(type)) << "untagged struct field " << name << " in a version we speak";
        tokens.push_back(name + ":" + type + (nullable ? "?" : ""));
      }
    }
  }

 private:
  int version_;
  bool flexible_;
  std::map<std::string, Json> commons_;
};

Json load_schema(const std::string& file) {
  std::string path = std::string(VELOCITY_PROTOCOL_REFERENCE_DIR) + "/messages/" + file;
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "schema missing: " << path;
  if (!in.good()) return Json::object();
  return Json::parse(in, nullptr, true, /*ignore_comments=*/true);
}

template <typename Message>
void expect_matches_schema(const Json& schema, int16_t version, bool flexible, const std::string& what) {
  SCOPED_TRACE(what + " v" + std::to_string(version));
  Message message;
  FieldTracer tracer(version, flexible);
  message.visit(tracer);
  tracer.tagged_fields();
  SchemaWalker walker(schema, version, flexible);
  walker.walk(schema["fields"]);
  if (flexible) walker.tokens.push_back("<tags>");
  EXPECT_EQ(tracer.tokens, walker.tokens);
}

// DeleteGroups and OffsetDelete have no schema file in the reference folder; their layouts
// are checked by the round-trip tests only.
bool has_reference_schema(ApiKey key) { return key != ApiKey::kDeleteGroups && key != ApiKey::kOffsetDelete; }

template <typename Variant>
void check_all(const char* suffix) {
  testing::for_each_alternative<Variant>([&]<typename T>(std::type_identity<T>) {
    if (!has_reference_schema(T::kApiKey)) return;
    const ApiInfo& api = api_info(T::kApiKey);
    std::string name = std::string(api.name) + suffix;
    Json schema = load_schema(name + ".json");
    ASSERT_TRUE(schema.contains("fields")) << name;
    EXPECT_EQ(schema["apiKey"].get<int>(), static_cast<int>(api.key)) << name;
    for (int16_t v = api.min_version; v <= api.max_decodable; ++v) {
      expect_matches_schema<T>(schema, v, is_flexible(api.key, v), name);
    }
  });
}

TEST(SchemaConformance, RequestFieldsMatchTheOfficialSchemaInEveryVersion) { check_all<RequestBody>("Request"); }

TEST(SchemaConformance, ResponseFieldsMatchTheOfficialSchemaInEveryVersion) { check_all<ResponseBody>("Response"); }

TEST(SchemaConformance, FirstFlexibleVersionsMatchTheSchemas) {
  for (const ApiInfo& api : supported_apis()) {
    if (!has_reference_schema(api.key)) continue;
    Json schema = load_schema(std::string(api.name) + "Request.json");
    std::string flexible = schema.value("flexibleVersions", "none");
    int16_t expected = flexible == "none" ? kNeverFlexible : static_cast<int16_t>(std::stoi(flexible));
    EXPECT_EQ(api.first_flexible, expected) << api.name;
  }
}

TEST(SchemaConformance, ConsumerProtocolBlobsMatchTheirSchemas) {
  Json subscription = load_schema("ConsumerProtocolSubscription.json");
  Json assignment = load_schema("ConsumerProtocolAssignment.json");
  for (int16_t v = 0; v <= 3; ++v) {
    expect_matches_schema<ConsumerProtocolSubscription>(subscription, v, false, "ConsumerProtocolSubscription");
    expect_matches_schema<ConsumerProtocolAssignment>(assignment, v, false, "ConsumerProtocolAssignment");
  }
}

}  // namespace
}  // namespace velocity::protocol
