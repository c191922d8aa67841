#pragma once
// Closed event files on their way out (docs/analytics.md "Files"): compression and the list
// of files waiting for the collector. Used by the shipper thread only; every file it works
// on is claimed from the DiskBudget first, which the writer thread enforces.
//
//   closed/<id>.jsonl             rotated by the writer, not yet compressed
//   outbox/<id>~<events>.jsonl.gz ready to upload (".jsonl" with compression: none)
//   rejected/…                    the collector refused them as malformed (kept, reported)
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "analytics/disk_budget.h"
#include "analytics/event_writer.h"
#include "analytics/stats.h"

namespace postern::analytics {

struct OutboxFile {
  std::filesystem::path path;
  std::string file_id;
  uint64_t events = 0;
  uint64_t bytes = 0;
  bool gzip = false;
};

class Outbox {
 public:
  Outbox(std::filesystem::path dir, bool gzip, DiskBudget& budget, Stats& stats,
         std::function<uint64_t()> active_bytes);

  // closed/ -> outbox/: counts the lines, compresses (or not), fsyncs, then removes the
  // closed file, each under a claim (a file the writer dropped meanwhile is skipped).
  // Returns how many files it moved.
  size_t seal_closed_files();
  // Outbox files, oldest first.
  std::vector<OutboxFile> pending() const;
  // Held while uploading `f`, so the writer does not drop it meanwhile; false when it
  // already did.
  bool claim(const OutboxFile& f) { return budget_.claim(f.file_id, f.path); }
  void release(const OutboxFile& f) { budget_.release(f.file_id); }
  void remove(const OutboxFile& f);
  void reject(const OutboxFile& f);  // moved to rejected/
  // Updates the gauges (pending files, bytes on disk).
  void refresh_gauges();

  // <id>~<events>.jsonl[.gz] -> parts; false when the name is not one of ours.
  static bool parse_name(const std::string& filename, OutboxFile& out);

 private:
  bool seal(const std::filesystem::path& closed_file);

  Dirs dirs_;
  bool gzip_;
  DiskBudget& budget_;
  Stats& stats_;
  std::function<uint64_t()> active_bytes_;
};

}  // namespace postern::analytics
