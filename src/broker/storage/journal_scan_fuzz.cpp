// libFuzzer target over scan_journal, which reads whatever a crash left in a journal file.
// Beyond "no crash": the records it accepts re-encode to exactly the valid prefix it reports.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "broker/storage/journal_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace velocity::storage;
  std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  auto scan = scan_journal(bytes);
  if (scan.valid_bytes > size || scan.file_bytes != size) std::abort();
  if (!scan.damage.empty() && scan.zero_tail) std::abort();
  std::vector<std::byte> again;
  for (const auto& r : scan.records)
    encode_journal_record(again, r.type, r.log_id, r.offset, r.batches);
  if (again.size() != scan.valid_bytes) std::abort();
  if (!std::equal(again.begin(), again.end(), bytes.begin())) std::abort();
  return 0;
}
