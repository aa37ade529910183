// Message headers as one BLOB column: per header a 4-byte big-endian name length, the name, a
// 4-byte value length, the value (docs/toolkit-store.md). Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "velocity/message.h"
#include "velocity/result.h"

namespace velocity::store {

std::string encode_headers(const std::vector<Header>& headers);
// kCorrupt when a length runs past the end.
[[nodiscard]] Result<std::vector<Header>> decode_headers(std::string_view bytes);

}  // namespace velocity::store
