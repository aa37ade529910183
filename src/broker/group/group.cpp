#include "broker/group/group.h"

#include <algorithm>

#include "common/big_endian.h"

namespace velocity::group {

const Bytes* Member::metadata_for(const std::string& protocol) const {
  for (const ProtocolOffer& offer : protocols) {
    if (offer.name == protocol) return &offer.metadata;
  }
  return nullptr;
}

bool Member::offers_same_protocols(const std::vector<ProtocolOffer>& other) const {
  if (other.size() != protocols.size()) return false;
  for (size_t i = 0; i < other.size(); ++i) {
    if (other[i].name != protocols[i].name || other[i].metadata != protocols[i].metadata)
      return false;
  }
  return true;
}

namespace {

std::set<std::string> common_protocols(const Group& group) {
  std::set<std::string> common;
  bool first = true;
  for (const auto& [id, member] : group.members) {
    std::set<std::string> names;
    for (const ProtocolOffer& offer : member.protocols) names.insert(offer.name);
    if (first) {
      common = std::move(names);
      first = false;
    } else {
      std::set<std::string> kept;
      std::set_intersection(common.begin(), common.end(), names.begin(), names.end(),
                            std::inserter(kept, kept.end()));
      common = std::move(kept);
    }
  }
  return common;
}

}  // namespace

bool Group::supports(const std::vector<ProtocolOffer>& protocols) const {
  if (members.empty()) return !protocols.empty();
  std::set<std::string> common = common_protocols(*this);
  return std::any_of(protocols.begin(), protocols.end(),
                     [&](const ProtocolOffer& offer) { return common.contains(offer.name); });
}

std::string Group::select_protocol() const {
  std::set<std::string> candidates = common_protocols(*this);
  std::map<std::string, int> votes;
  for (const auto& [member_id, member] : members) {
    for (const ProtocolOffer& offer : member.protocols) {
      if (candidates.contains(offer.name)) {
        ++votes[offer.name];
        break;
      }
    }
  }
  auto leader = members.find(leader_id);
  const Member& tie_breaker = leader != members.end() ? leader->second : members.begin()->second;
  std::string best;
  int best_votes = -1;
  for (const ProtocolOffer& offer : tie_breaker.protocols) {
    if (!candidates.contains(offer.name)) continue;
    int v = votes[offer.name];
    if (v > best_votes) {
      best = offer.name;
      best_votes = v;
    }
  }
  return best;
}

bool Group::all_members_joined() const {
  // A member told MEMBER_ID_REQUIRED is about to join; waiting for it puts it in this
  // generation instead of forcing another rebalance right after.
  if (!pending_member_ids.empty()) return false;
  return std::all_of(members.begin(), members.end(),
                     [](const auto& entry) { return entry.second.pending_join != nullptr; });
}

int32_t Group::max_rebalance_timeout_ms() const {
  int32_t max = 0;
  for (const auto& [member_id, member] : members) max = std::max(max, member.rebalance_timeout_ms);
  return max;
}

std::optional<std::set<std::string>> Group::subscribed_topics() const {
  if (protocol_type != "consumer" || protocol_name.empty()) return std::nullopt;
  std::set<std::string> topics;
  for (const auto& [member_id, member] : members) {
    const Bytes* metadata = member.metadata_for(protocol_name);
    if (metadata == nullptr) return std::nullopt;
    auto decoded = decode_subscription_topics(*metadata);
    if (!decoded) return std::nullopt;
    topics.insert(decoded->begin(), decoded->end());
  }
  return topics;
}

std::optional<std::vector<std::string>> decode_subscription_topics(const Bytes& metadata) {
  // Every version starts with int16 version, then Topics as a classic int32-counted array of
  // int16-length strings; later fields are not needed here.
  size_t pos = 0;
  auto have = [&](size_t n) { return metadata.size() - pos >= n; };
  if (!have(2 + 4)) return std::nullopt;
  pos += 2;
  int32_t count = load_be<int32_t>(metadata.data() + pos);
  pos += 4;
  if (count < 0) return std::nullopt;
  std::vector<std::string> topics;
  for (int32_t i = 0; i < count; ++i) {
    if (!have(2)) return std::nullopt;
    int16_t len = load_be<int16_t>(metadata.data() + pos);
    pos += 2;
    if (len < 0 || !have(static_cast<size_t>(len))) return std::nullopt;
    topics.emplace_back(reinterpret_cast<const char*>(metadata.data() + pos),
                        static_cast<size_t>(len));
    pos += static_cast<size_t>(len);
  }
  return topics;
}

}  // namespace velocity::group
