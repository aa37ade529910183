#include "broker/group/producer_id_allocator.h"

#include <system_error>

#include "broker/group/posix_file.h"
#include "common/big_endian.h"
#include "common/crc32c.h"
#include "common/log.h"

namespace velocity::group {
namespace {

// File layout: u8 version (1), i64 high-water mark, u32 CRC-32C of the first 9 bytes.
constexpr uint8_t kVersion = 1;
constexpr size_t kFileSize = 1 + 8 + 4;

std::string encode(int64_t high_water) {
  std::string out(kFileSize, '\0');
  out[0] = static_cast<char>(kVersion);
  store_be<int64_t>(out.data() + 1, high_water);
  store_be<uint32_t>(out.data() + 9, crc32c_extend(0, out.data(), 9));
  return out;
}

}  // namespace

Result<std::unique_ptr<ProducerIdAllocator>> ProducerIdAllocator::open(
    const std::filesystem::path& dir, int64_t block_size) {
  if (block_size < 1) return fail(ErrorCode::kInvalidArgument, "producer id block size < 1");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(ErrorCode::kIo, "create " + dir.string() + ": " + ec.message());
  std::filesystem::path file = dir / kFileName;
  int64_t next = 1;
  auto content = read_whole_file(file);
  if (content) {
    const std::string& c = *content;
    if (c.size() != kFileSize || static_cast<uint8_t>(c[0]) != kVersion ||
        load_be<uint32_t>(c.data() + 9) != crc32c_extend(0, c.data(), 9)) {
      return fail(ErrorCode::kCorrupt, file.string() + ": damaged producer id high-water mark");
    }
    next = load_be<int64_t>(c.data() + 1);
    if (next < 1) return fail(ErrorCode::kCorrupt, file.string() + ": high-water mark below 1");
  } else if (content.error().code != ErrorCode::kNotFound) {
    return std::unexpected(content.error());
  }
  return std::unique_ptr<ProducerIdAllocator>(new ProducerIdAllocator(file, block_size, next));
}

Result<int64_t> ProducerIdAllocator::allocate() {
  if (next_ >= reserved_until_) {
    int64_t until = next_ + block_size_;
    if (auto saved = replace_file_atomically(file_, encode(until)); !saved)
      return std::unexpected(saved.error());
    reserved_until_ = until;
  }
  return next_++;
}

InitProducerIdResult ProducerIdAllocator::init_producer_id(
    const std::optional<std::string>& transactional_id) {
  InitProducerIdResult result;
  if (transactional_id) {
    result.error = InitProducerIdError::kTransactionalIdNotSupported;
    return result;
  }
  auto id = allocate();
  if (!id) {
    log::error("InitProducerId: {}", id.error().message());
    result.error = InitProducerIdError::kStorage;
    return result;
  }
  result.producer_id = *id;
  result.producer_epoch = 0;
  return result;
}

}  // namespace velocity::group
