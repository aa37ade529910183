// The journal record format as a spec: what a scan accepts, and where it stops.
#include "broker/storage/journal_format.h"

#include <gtest/gtest.h>

#include "broker/storage/log_test_util.h"

namespace velocity::storage {
namespace {

std::vector<std::byte> two_records() {
  std::vector<std::byte> out;
  encode_journal_record(out, JournalRecordType::kBatches, 7, 100, testing::batch(3));
  encode_journal_record(out, JournalRecordType::kTruncation, 8, 42, {});
  return out;
}

TEST(JournalFormat, RecordsRoundTrip) {
  const auto bytes = two_records();
  auto scan = scan_journal(bytes);
  ASSERT_EQ(scan.records.size(), 2u);
  EXPECT_TRUE(scan.damage.empty());
  EXPECT_FALSE(scan.zero_tail);
  EXPECT_EQ(scan.valid_bytes, bytes.size());
  EXPECT_EQ(scan.records[0].type, JournalRecordType::kBatches);
  EXPECT_EQ(scan.records[0].log_id, 7u);
  EXPECT_EQ(scan.records[0].offset, 100);
  EXPECT_EQ(scan.records[0].batches, testing::batch(3));
  EXPECT_EQ(scan.records[1].type, JournalRecordType::kTruncation);
  EXPECT_EQ(scan.records[1].log_id, 8u);
  EXPECT_EQ(scan.records[1].offset, 42);
  EXPECT_TRUE(scan.records[1].batches.empty());
}

TEST(JournalFormat, EmptyJournalHasNoRecords) {
  auto scan = scan_journal({});
  EXPECT_TRUE(scan.records.empty());
  EXPECT_TRUE(scan.damage.empty());
}

TEST(JournalFormat, TruncatedTrailingRecordIsIgnoredAtEveryByte) {
  const auto bytes = two_records();
  std::vector<std::byte> first;
  encode_journal_record(first, JournalRecordType::kBatches, 7, 100, testing::batch(3));
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    auto scan = scan_journal(std::span(bytes).first(cut));
    const size_t whole = cut >= first.size() ? 1 : 0;
    ASSERT_EQ(scan.records.size(), whole) << "cut at " << cut;
    EXPECT_EQ(scan.valid_bytes, whole ? first.size() : 0) << "cut at " << cut;
    // A cut exactly at a record boundary is a clean end; anywhere else the rest is a torn
    // record (or, while only the length's leading zero bytes remain, reads as a zero tail).
    const bool boundary = cut == 0 || cut == first.size();
    EXPECT_EQ(scan.damage.empty() && !scan.zero_tail, boundary) << "cut at " << cut;
  }
}

TEST(JournalFormat, RecordWithBadCrcEndsTheJournal) {
  auto bytes = two_records();
  std::vector<std::byte> first;
  encode_journal_record(first, JournalRecordType::kBatches, 7, 100, testing::batch(3));
  // Every byte of the first record but its length is under the CRC (the length is checked by
  // the CRC of what it frames).
  for (size_t i = 4; i < first.size(); ++i) {
    auto damaged = bytes;
    damaged[i] ^= std::byte{0x01};
    auto scan = scan_journal(damaged);
    EXPECT_TRUE(scan.records.empty()) << "flipped byte " << i;
    EXPECT_FALSE(scan.damage.empty()) << "flipped byte " << i;
  }
  auto damaged = bytes;
  damaged.back() ^= std::byte{0x80};
  auto scan = scan_journal(damaged);
  EXPECT_EQ(scan.records.size(), 1u);
  EXPECT_EQ(scan.valid_bytes, first.size());
  EXPECT_NE(scan.damage.find("CRC"), std::string::npos) << scan.damage;
}

TEST(JournalFormat, ZeroFilledTailIsACleanEnd) {
  auto bytes = two_records();
  const size_t records = bytes.size();
  for (size_t zeros : {1, 3, 8, 25, 4096}) {
    auto padded = bytes;
    padded.resize(records + zeros);
    auto scan = scan_journal(padded);
    EXPECT_EQ(scan.records.size(), 2u) << zeros;
    EXPECT_TRUE(scan.zero_tail) << zeros;
    EXPECT_TRUE(scan.damage.empty()) << zeros << ": " << scan.damage;
    EXPECT_EQ(scan.valid_bytes, records);
  }
}

TEST(JournalFormat, ImpossibleLengthIsDamageNotARecord) {
  std::vector<std::byte> bytes(64, std::byte{0});
  bytes[3] = std::byte{5};  // shorter than a record header
  auto scan = scan_journal(bytes);
  EXPECT_TRUE(scan.records.empty());
  EXPECT_FALSE(scan.damage.empty());
  std::fill(bytes.begin(), bytes.begin() + 4, std::byte{0xff});  // longer than any record
  scan = scan_journal(bytes);
  EXPECT_TRUE(scan.records.empty());
  EXPECT_FALSE(scan.damage.empty());
}

TEST(JournalFormat, UnknownRecordTypeIsDamage) {
  std::vector<std::byte> bytes;
  encode_journal_record(bytes, static_cast<JournalRecordType>(9), 1, 0, {});
  auto scan = scan_journal(bytes);
  EXPECT_TRUE(scan.records.empty());
  EXPECT_NE(scan.damage.find("type"), std::string::npos) << scan.damage;
}

}  // namespace
}  // namespace velocity::storage
