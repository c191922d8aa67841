// The disk budget the writer keeps (docs/analytics.md "Disk budget"): the oldest closed or
// outbox files go first, each with a gap record; a file the shipper has claimed is never
// dropped; and with a writer and a shipper racing, every event is delivered or reported
// lost exactly once.
#include "analytics/disk_budget.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <thread>

#include "analytics/event_writer.h"
#include "analytics/outbox.h"

namespace postern::analytics {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path = fs::temp_directory_path() /
                  ("postern-budget-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand()));
  TempDir() {
    for (const char* sub : {"active", "closed", "outbox", "rejected"}) fs::create_directories(path / sub);
  }
  ~TempDir() { fs::remove_all(path); }
};

// `lines` lines of exactly `line_bytes` bytes each (newline included).
std::string lines_of(int lines, size_t line_bytes) {
  std::string one(line_bytes - 1, 'x');
  one += '\n';
  std::string all;
  for (int i = 0; i < lines; ++i) all += one;
  return all;
}

void write(const fs::path& p, const std::string& content) { std::ofstream(p, std::ios::binary) << content; }

// The id of the n-th file, in make_file_id's form: ids sort by age, and these are all older
// than anything the clock makes now (the gap records' ids).
std::string old_id(int n) {
  char id[64];
  std::snprintf(id, sizeof id, "20250101T%06d000000Z-node-%016x", n, unsigned(n));
  return id;
}

// Whole content of a plain or gzip event file.
std::string read_all(const fs::path& p) {
  gzFile f = gzopen(p.c_str(), "rb");
  std::string all;
  char buf[65536];
  int n;
  while (f && (n = gzread(f, buf, sizeof buf)) > 0) all.append(buf, size_t(n));
  if (f) gzclose(f);
  return all;
}

struct GapRecord {
  std::string lost_file_id;
  uint64_t lost_events = 0;
};

// A gap record's fields, parsed just enough; nullopt when `line` is not one.
std::optional<GapRecord> parse_gap(const std::string& line) {
  if (line.find("\"type\":\"gap\"") == std::string::npos) return std::nullopt;
  auto value_of = [&](const std::string& key) {
    size_t at = line.find("\"" + key + "\":") + key.size() + 3;
    size_t end = line.find_first_of(",}", at);
    std::string v = line.substr(at, end - at);
    if (!v.empty() && v.front() == '"') v = v.substr(1, v.size() - 2);
    return v;
  };
  return GapRecord{value_of("lost_file_id"), std::stoull(value_of("lost_events"))};
}

// The gap records in outbox/ (one-line files).
std::vector<GapRecord> gaps_in(const fs::path& outbox) {
  std::vector<GapRecord> out;
  for (const auto& e : fs::directory_iterator(outbox)) {
    if (auto g = parse_gap(read_all(e.path()))) out.push_back(*g);
  }
  return out;
}

struct Budget {
  TempDir tmp;
  Stats stats;
  DiskBudget budget;
  Budget(uint64_t max_disk, uint64_t rotate_size) : budget({tmp.path, "node", max_disk, rotate_size}, stats) {}
  fs::path closed(const std::string& id) const { return tmp.path / "closed" / (id + ".jsonl"); }
  fs::path outbox(const std::string& id, int events) const {
    return tmp.path / "outbox" / (id + "~" + std::to_string(events) + ".jsonl");
  }
};

TEST(DiskBudget, DropsTheOldestClosedOrOutboxFilesUntilTheNextFileFits) {
  Budget b(10'000, 2'000);
  write(b.outbox(old_id(1), 3), lines_of(3, 1000));
  write(b.closed(old_id(2)), lines_of(3, 1000));
  write(b.closed(old_id(3)), lines_of(3, 1000));
  // 9,000 stored + 2,000 for the next file > 10,000: the oldest (a sealed file) goes.
  b.budget.make_room_for_next_file();
  EXPECT_FALSE(fs::exists(b.outbox(old_id(1), 3)));
  EXPECT_TRUE(fs::exists(b.closed(old_id(2))));
  EXPECT_TRUE(fs::exists(b.closed(old_id(3))));
  EXPECT_EQ(b.stats.files_dropped.load(), 1u);
  EXPECT_EQ(b.stats.events_dropped_disk.load(), 3u);
  auto gaps = gaps_in(b.tmp.path / "outbox");
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(gaps[0].lost_file_id, old_id(1));
  EXPECT_EQ(gaps[0].lost_events, 3u);
  EXPECT_LE(b.budget.stored_bytes() + 2'000, 10'000u);

  // A closed file that was never sealed: its events are counted from its lines.
  write(b.closed(old_id(4)), lines_of(4, 750));
  b.budget.make_room_for_next_file();
  EXPECT_FALSE(fs::exists(b.closed(old_id(2))));
  EXPECT_TRUE(fs::exists(b.closed(old_id(3))));
  EXPECT_EQ(b.stats.files_dropped.load(), 2u);
  EXPECT_EQ(b.stats.events_dropped_disk.load(), 6u);
  EXPECT_EQ(gaps_in(b.tmp.path / "outbox").size(), 2u);
  EXPECT_LE(b.budget.stored_bytes() + 2'000, 10'000u);
  EXPECT_EQ(b.stats.disk_bytes.load(), b.budget.stored_bytes());
}

TEST(DiskBudget, NothingIsDroppedWhileTheNextFileFits) {
  Budget b(10'000, 2'000);
  write(b.outbox(old_id(1), 4), lines_of(4, 1000));
  write(b.closed(old_id(2)), lines_of(4, 1000));
  b.budget.make_room_for_next_file();  // 8,000 + 2,000: exactly the budget
  EXPECT_EQ(b.stats.files_dropped.load(), 0u);
  EXPECT_TRUE(gaps_in(b.tmp.path / "outbox").empty());
  EXPECT_EQ(b.budget.stored_bytes(), 8'000u);
}

TEST(DiskBudget, AFileTheShipperHasClaimedIsNeverDropped) {
  Budget b(10'000, 2'000);
  write(b.closed(old_id(1)), lines_of(3, 1000));
  write(b.closed(old_id(2)), lines_of(3, 1000));
  write(b.closed(old_id(3)), lines_of(3, 1000));
  {
    Claim sealing(b.budget, old_id(1), b.closed(old_id(1)));
    ASSERT_TRUE(sealing);
    b.budget.make_room_for_next_file();
    EXPECT_TRUE(fs::exists(b.closed(old_id(1)))) << "claimed: the next oldest goes instead";
    EXPECT_FALSE(fs::exists(b.closed(old_id(2))));
  }
  // A file dropped before the shipper got to it cannot be claimed: it is reported lost.
  Claim late(b.budget, old_id(2), b.closed(old_id(2)));
  EXPECT_FALSE(late);
  auto gaps = gaps_in(b.tmp.path / "outbox");
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(gaps[0].lost_file_id, old_id(2));
  // Released: the oldest is droppable again.
  write(b.closed(old_id(4)), lines_of(3, 1000));
  b.budget.make_room_for_next_file();
  EXPECT_FALSE(fs::exists(b.closed(old_id(1))));
}

TEST(DiskBudget, GapRecordsAndRejectedFilesCountButAreKept) {
  Budget b(10'000, 2'000);
  write(b.tmp.path / "rejected" / (old_id(1) + "~7.jsonl"), lines_of(7, 1000));
  write(b.outbox(old_id(2), 1), lines_of(1, 300));  // a gap record
  write(b.outbox(old_id(3), 2), lines_of(2, 1000));
  write(b.closed(old_id(4)), lines_of(1, 1000));
  b.budget.make_room_for_next_file();
  // Both droppable files went; what is left cannot be dropped, and is still on disk.
  EXPECT_FALSE(fs::exists(b.outbox(old_id(3), 2)));
  EXPECT_FALSE(fs::exists(b.closed(old_id(4))));
  EXPECT_TRUE(fs::exists(b.outbox(old_id(2), 1)));
  EXPECT_TRUE(fs::exists(b.tmp.path / "rejected" / (old_id(1) + "~7.jsonl")));
  EXPECT_EQ(b.stats.events_dropped_disk.load(), 3u);
}

TEST(DiskBudget, UnfinishedCopiesAreRemovedAndCountedMeanwhile) {
  Budget b(10'000, 2'000);
  write(b.tmp.path / "outbox" / (old_id(1) + ".tmp"), lines_of(1, 5000));
  EXPECT_EQ(b.budget.stored_bytes(), 5'000u);
  b.budget.remove_unfinished_copies();
  EXPECT_EQ(b.budget.stored_bytes(), 0u);
}

// A writer rotating files and keeping the budget, a shipper sealing and "uploading" (reading
// and deleting) under claims, both as fast as they can: at the end every event written is
// either delivered, still on disk, or in a gap record, exactly once.
TEST(DiskBudget, AWriterAndAShipperRacingAccountForEveryEventOnce) {
  Budget b(24 * 1024, 4 * 1024);
  Outbox outbox(b.tmp.path, true, b.budget, b.stats, nullptr);
  const int files = 300;
  std::atomic<bool> writer_done{false};
  uint64_t written = 0;
  std::thread writer([&] {
    for (int i = 0; i < files; ++i) {
      int lines = 10 + i % 30;
      // As a rotation leaves it: written in active/, then renamed into closed/ whole.
      fs::path active = b.tmp.path / "active" / (old_id(i) + ".jsonl");
      write(active, lines_of(lines, 100 + i % 50));
      fs::rename(active, b.closed(old_id(i)));
      written += uint64_t(lines);
      b.budget.make_room_for_next_file();
    }
    writer_done = true;
  });
  std::map<std::string, uint64_t> delivered;  // file id -> events
  std::vector<GapRecord> gaps;                // delivered gap records
  auto ship_once = [&] {
    outbox.seal_closed_files();
    for (const auto& f : outbox.pending()) {
      if (!outbox.claim(f)) continue;
      std::string body = read_all(f.path);
      if (auto g = parse_gap(body)) {
        gaps.push_back(*g);
      } else {
        EXPECT_EQ(uint64_t(std::count(body.begin(), body.end(), '\n')), f.events) << f.file_id;
        EXPECT_TRUE(delivered.emplace(f.file_id, f.events).second) << "delivered twice: " << f.file_id;
      }
      outbox.remove(f);
      outbox.release(f);
      if (delivered.size() % 3 == 0) break;  // fall behind now and then: the writer drops
    }
  };
  while (!writer_done) ship_once();
  writer.join();

  uint64_t on_disk = 0;
  for (const auto& f : outbox.pending()) {
    if (!parse_gap(read_all(f.path))) on_disk += f.events;
  }
  for (const auto& e : fs::directory_iterator(b.tmp.path / "closed")) {
    std::string s = read_all(e.path());
    on_disk += uint64_t(std::count(s.begin(), s.end(), '\n'));
  }
  uint64_t lost = 0, sent = 0;
  for (const auto& g : gaps_in(b.tmp.path / "outbox")) gaps.push_back(g);
  for (const auto& g : gaps) {
    EXPECT_EQ(delivered.count(g.lost_file_id), 0u) << "delivered and reported lost: " << g.lost_file_id;
    lost += g.lost_events;
  }
  for (const auto& [id, events] : delivered) sent += events;
  EXPECT_GT(b.stats.files_dropped.load(), 0u) << "the shipper never fell behind: the test proved nothing";
  EXPECT_EQ(lost, b.stats.events_dropped_disk.load());
  EXPECT_EQ(sent + on_disk + lost, written);
  EXPECT_LE(b.budget.stored_bytes() + 4 * 1024, 24u * 1024);
}

}  // namespace
}  // namespace postern::analytics
