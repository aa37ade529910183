// DescribeConfigs (key 32), versions 0-2, none flexible. ResourceType 2 = topic, 4 = broker;
// null ConfigurationKeys = all keys. Plain data; thread-safe as values are.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "broker/protocol/message.h"

namespace velocity::protocol {

struct DescribeConfigsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kDescribeConfigs;
  struct Resource {
    int8_t resource_type = 0;
    std::string resource_name;
    std::optional<std::vector<std::string>> configuration_keys;
    template <typename V>
    void visit(V& v) {
      v.i8("ResourceType", resource_type);
      v.str("ResourceName", resource_name);
      v.narray("ConfigurationKeys", configuration_keys);
    }
    friend bool operator==(const Resource&, const Resource&) = default;
  };
  std::vector<Resource> resources;
  bool include_synonyms = false;

  template <typename V>
  void visit(V& v) {
    v.array("Resources", resources);
    if (v.version() >= 1) v.boolean("IncludeSynonyms", include_synonyms);
  }
  friend bool operator==(const DescribeConfigsRequest&, const DescribeConfigsRequest&) = default;
};

struct DescribeConfigsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kDescribeConfigs;
  struct Synonym {
    std::string name;
    std::optional<std::string> value;
    int8_t source = 0;
    template <typename V>
    void visit(V& v) {
      v.str("Name", name);
      v.nstr("Value", value);
      v.i8("Source", source);
    }
    friend bool operator==(const Synonym&, const Synonym&) = default;
  };
  struct Config {
    std::string name;
    std::optional<std::string> value;
    bool read_only = false;
    bool is_default = false;   // v0 only
    int8_t config_source = -1;  // v1+
    bool is_sensitive = false;
    std::vector<Synonym> synonyms;  // v1+
    template <typename V>
    void visit(V& v) {
      v.str("Name", name);
      v.nstr("Value", value);
      v.boolean("ReadOnly", read_only);
      if (v.version() == 0) v.boolean("IsDefault", is_default);
      if (v.version() >= 1) v.i8("ConfigSource", config_source);
      v.boolean("IsSensitive", is_sensitive);
      if (v.version() >= 1) v.array("Synonyms", synonyms);
    }
    friend bool operator==(const Config&, const Config&) = default;
  };
  struct ResourceResult {
    int16_t error_code = 0;
    std::optional<std::string> error_message;
    int8_t resource_type = 0;
    std::string resource_name;
    std::vector<Config> configs;
    template <typename V>
    void visit(V& v) {
      v.i16("ErrorCode", error_code);
      v.nstr("ErrorMessage", error_message);
      v.i8("ResourceType", resource_type);
      v.str("ResourceName", resource_name);
      v.array("Configs", configs);
    }
    friend bool operator==(const ResourceResult&, const ResourceResult&) = default;
  };
  int32_t throttle_time_ms = 0;
  std::vector<ResourceResult> results;

  template <typename V>
  void visit(V& v) {
    v.i32("ThrottleTimeMs", throttle_time_ms);
    v.array("Results", results);
  }
  friend bool operator==(const DescribeConfigsResponse&, const DescribeConfigsResponse&) = default;
};

}  // namespace velocity::protocol
