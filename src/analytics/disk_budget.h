#pragma once
// The analytics folder's disk budget (docs/analytics.md "Disk budget"), shared by the writer
// thread, which makes the folder grow, and the shipper thread, which makes it shrink.
//
// Who deletes what. Only the writer deletes files for the budget: whenever it has no active
// file (at start, and right after each rotation) it calls make_room_for_next_file(), which
// deletes the oldest closed or outbox files until everything stored plus one more file of
// `rotate_size` fits in `max_disk`. Each deletion is counted, logged and leaves a gap record
// in the outbox. So the folder never holds more than `max_disk` plus what the active file
// writes past `rotate_size` (one batch) and the compressed copy of a file being sealed,
// however far behind the shipper is. The shipper deletes only files it has delivered.
//
// Why the two threads never disagree about a file. Before the shipper seals closed/<id> or
// uploads outbox/<id>~N, it claims <id>; the writer never deletes a claimed file (it drops
// the next oldest instead), and claim() fails when the file is already gone. Claims are
// taken and released under the same mutex the writer holds for its whole pass (listing,
// deleting, writing the gap records), so a file is either delivered or reported lost,
// never both and never neither. The shipper's slow work (gzip, fsync, the upload) runs
// outside the mutex, holding only its claim: the writer never waits for the shipper; the
// shipper waits at most for one pass of the writer (a few unlinks and a small fsynced file).
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "analytics/stats.h"

namespace postern::analytics {

class DiskBudget {
 public:
  struct Options {
    std::filesystem::path dir;  // the analytics folder (active/, closed/, outbox/, rejected/)
    std::string node;
    uint64_t max_disk = 1ull << 30;
    uint64_t rotate_size = 64ull << 20;  // room kept for the next active file
  };
  DiskBudget(Options options, Stats& stats);

  // Writer thread, while no file is active: deletes the oldest unclaimed closed or outbox
  // files (never gap records, never rejected files) while stored_bytes() + rotate_size >
  // max_disk. Updates the disk_bytes gauge.
  void make_room_for_next_file();

  // Shipper thread: marks `file_id` as being sealed or uploaded. False when `path` no longer
  // exists (the writer dropped it): the caller must leave it alone.
  bool claim(const std::string& file_id, const std::filesystem::path& path);
  void release(const std::string& file_id);

  // Bytes of every event file but the active one: closed/, outbox/ (with copies being
  // written), rejected/.
  uint64_t stored_bytes() const;
  // Shipper thread: deletes outbox/*.tmp copies left by a crash while sealing. Under the
  // mutex, so the temporary file of a gap record being written is never one of them.
  void remove_unfinished_copies();

 private:
  struct Candidate;
  std::vector<Candidate> droppable_oldest_first() const;
  bool drop(Candidate& c);
  uint64_t write_gap(const std::string& lost_file_id, uint64_t lost_events);

  Options options_;
  std::filesystem::path closed_, outbox_, rejected_;
  Stats& stats_;
  std::mutex mu_;
  std::set<std::string> claimed_;  // guarded by mu_
};

// A claim for the length of a scope; false when the file was dropped.
class Claim {
 public:
  Claim(DiskBudget& budget, std::string file_id, const std::filesystem::path& path)
      : budget_(budget), file_id_(std::move(file_id)), held_(budget_.claim(file_id_, path)) {}
  ~Claim() {
    if (held_) budget_.release(file_id_);
  }
  Claim(const Claim&) = delete;
  Claim& operator=(const Claim&) = delete;
  explicit operator bool() const { return held_; }

 private:
  DiskBudget& budget_;
  std::string file_id_;
  bool held_;
};

}  // namespace postern::analytics
