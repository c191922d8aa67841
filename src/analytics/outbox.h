#pragma once
// Closed event files on their way out (docs/analytics.md "Files"): compression, the disk
// budget, and the list of files waiting for the collector. Used by the shipper thread only.
//
//   closed/<id>.jsonl             rotated by the writer, not yet compressed
//   outbox/<id>~<events>.jsonl.gz ready to upload (".jsonl" with compression: none)
//   rejected/…                    the collector refused them as malformed (kept, reported)
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

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
  Outbox(std::filesystem::path dir, std::string node, bool gzip, uint64_t max_disk_bytes, Stats& stats,
         std::function<uint64_t()> active_bytes);

  // closed/ -> outbox/: counts the lines, compresses (or not), fsyncs, then removes the
  // closed file. Returns how many files it moved.
  size_t seal_closed_files();
  // Deletes the oldest outbox files while all event files together exceed the budget; each
  // deletion is counted and leaves a gap record in a new outbox file.
  void enforce_budget();
  // Outbox files, oldest first.
  std::vector<OutboxFile> pending() const;
  void remove(const OutboxFile& f);
  void reject(const OutboxFile& f);  // moved to rejected/
  // Updates the gauges (pending files, bytes on disk).
  void refresh_gauges();

  // <id>~<events>.jsonl[.gz] -> parts; false when the name is not one of ours.
  static bool parse_name(const std::string& filename, OutboxFile& out);

 private:
  bool seal(const std::filesystem::path& closed_file);
  uint64_t write_gap(const OutboxFile& lost);  // bytes it added to the outbox
  uint64_t disk_bytes() const;

  Dirs dirs_;
  std::string node_;
  bool gzip_;
  uint64_t max_disk_;
  Stats& stats_;
  std::function<uint64_t()> active_bytes_;
};

}  // namespace postern::analytics
