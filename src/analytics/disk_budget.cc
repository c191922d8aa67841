#include "analytics/disk_budget.h"

#include <algorithm>

#include "analytics/event_json.h"
#include "analytics/event_writer.h"
#include "analytics/file_io.h"
#include "analytics/outbox.h"
#include "core/clock.h"
#include "core/log.h"

namespace postern::analytics {

namespace fs = std::filesystem;

namespace {

// A gap record's own file (one line, a few hundred bytes) is never dropped: it is what
// reports the loss. Same test as before the writer took the budget over.
bool looks_like_gap_record(const OutboxFile& f) { return f.events == 1 && f.bytes < 4096; }

}  // namespace

struct DiskBudget::Candidate {
  fs::path path;
  std::string file_id;
  uint64_t bytes = 0;
  bool events_known = false;  // outbox names carry the count; closed files are counted
  uint64_t events = 0;
};

DiskBudget::DiskBudget(Options options, Stats& stats)
    : options_(std::move(options)),
      closed_(options_.dir / "closed"),
      outbox_(options_.dir / "outbox"),
      rejected_(options_.dir / "rejected"),
      stats_(stats) {}

uint64_t DiskBudget::stored_bytes() const {
  uint64_t total = 0;
  std::error_code ec;
  for (const fs::path* d : {&closed_, &outbox_, &rejected_}) {
    for (const auto& entry : fs::directory_iterator(*d, ec)) {
      std::error_code size_ec;  // a file deleted meanwhile counts 0
      if (!entry.is_regular_file(size_ec)) continue;
      uintmax_t size = entry.file_size(size_ec);
      if (!size_ec) total += size;
    }
  }
  return total;
}

bool DiskBudget::claim(const std::string& file_id, const fs::path& path) {
  std::lock_guard lock(mu_);
  std::error_code ec;
  if (!fs::exists(path, ec)) return false;
  claimed_.insert(file_id);
  return true;
}

void DiskBudget::release(const std::string& file_id) {
  std::lock_guard lock(mu_);
  claimed_.erase(file_id);
}

void DiskBudget::remove_unfinished_copies() {
  std::lock_guard lock(mu_);
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(outbox_, ec)) {
    std::error_code rm_ec;
    if (entry.path().extension() == ".tmp") fs::remove(entry.path(), rm_ec);
  }
}

// Closed and outbox files the writer may delete, oldest first (a file id starts with its
// UTC creation time). Called with mu_ held.
std::vector<DiskBudget::Candidate> DiskBudget::droppable_oldest_first() const {
  std::vector<Candidate> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(closed_, ec)) {
    if (entry.path().extension() != ".jsonl") continue;
    std::error_code size_ec;
    Candidate c{entry.path(), entry.path().stem().string(), entry.file_size(size_ec)};
    if (!size_ec && !claimed_.count(c.file_id)) out.push_back(std::move(c));
  }
  for (const auto& entry : fs::directory_iterator(outbox_, ec)) {
    OutboxFile f;
    if (!Outbox::parse_name(entry.path().filename().string(), f)) continue;
    std::error_code size_ec;
    f.bytes = entry.file_size(size_ec);
    if (size_ec || claimed_.count(f.file_id) || looks_like_gap_record(f)) continue;
    out.push_back(Candidate{entry.path(), f.file_id, f.bytes, true, f.events});
  }
  std::sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) { return a.file_id < b.file_id; });
  return out;
}

void DiskBudget::make_room_for_next_file() {
  std::lock_guard lock(mu_);
  uint64_t total = stored_bytes();
  if (total + options_.rotate_size > options_.max_disk) {
    for (auto& c : droppable_oldest_first()) {
      if (total + options_.rotate_size <= options_.max_disk) break;
      if (!drop(c)) continue;
      total -= std::min(total, c.bytes);
      total += write_gap(c.file_id, c.events);  // the gap record is on disk too: it counts
    }
    if (total + options_.rotate_size > options_.max_disk) {
      log::debug("analytics: {} bytes of event files that cannot be dropped (gap records, rejected, in delivery)",
                 total);
    }
  }
  stats_.disk_bytes.store(total, std::memory_order_relaxed);
}

// Deletes one file and accounts for it. Called with mu_ held.
bool DiskBudget::drop(Candidate& c) {
  if (!c.events_known) {
    bool ok = false;
    c.events = count_lines(c.path, ok);
    if (!ok) return false;
  }
  std::error_code ec;
  if (!fs::remove(c.path, ec) || ec) return false;
  stats_.files_dropped.fetch_add(1, std::memory_order_relaxed);
  stats_.events_dropped_disk.fetch_add(c.events, std::memory_order_relaxed);
  log::warn("analytics: disk budget ({} bytes) exceeded: deleted {} unsent ({} events)", options_.max_disk,
            c.path.filename().string(), c.events);
  return true;
}

// The gap record goes straight into the outbox as a plain one-line file (<id>~1.jsonl):
// it is uploaded like any event file and travels to the collector with the events. It is
// fsynced before it is renamed into place, so a power loss never leaves half a record.
uint64_t DiskBudget::write_gap(const std::string& lost_file_id, uint64_t lost_events) {
  Gap g;
  g.unix_micros = SystemClock::instance().unix_micros();
  g.node = options_.node;
  g.lost_file_id = lost_file_id;
  g.lost_events = lost_events;
  g.reason = "disk_budget";
  std::string line;
  append_gap_json(line, g);
  std::string id = make_file_id(options_.node, g.unix_micros);
  std::string error;
  if (!write_file_durably(outbox_ / (id + ".tmp"), outbox_ / (id + "~1.jsonl"), line, error)) {
    log::error("analytics: cannot write the gap record for {} ({} events lost): {}", lost_file_id, lost_events, error);
    return 0;
  }
  return line.size();
}

}  // namespace postern::analytics
