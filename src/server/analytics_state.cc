#include "server/analytics_state.h"

#include <fmt/format.h>

#include <cstdlib>
#include <cstring>

#include "core/log.h"

namespace postern::server {

namespace {

// Test hook, documented in docs/analytics.md: POSTERN_TEST_SHIPPER_PAUSE=1 keeps the shipper
// from sealing and uploading, so a test can show the disk budget holds without it.
bool shipper_paused_for_tests() {
  const char* v = std::getenv("POSTERN_TEST_SHIPPER_PAUSE");
  return v != nullptr && std::strcmp(v, "1") == 0;
}

}  // namespace

bool AnalyticsState::start(const config::AnalyticsConfig& cfg, const std::string& node_id, unsigned workers,
                           std::string& error) {
  cfg_ = cfg;
  if (!cfg.enabled) return true;
  analytics::EventWriter::Options wo;
  wo.dir = cfg.dir;
  wo.node = node_id;
  wo.rotate_bytes = cfg.rotate_bytes;
  wo.rotate_age = cfg.rotate_age;
  wo.on_file_closed = [this] {
    if (shipper_) shipper_->notify();
  };
  // Shared by the writer (which keeps it) and the shipper (which claims what it works on).
  analytics::DiskBudget::Options budget{cfg.dir, node_id, cfg.max_disk_bytes, cfg.rotate_bytes};
  budget_ = std::make_unique<analytics::DiskBudget>(std::move(budget), stats_);
  wo.budget = budget_.get();
  writer_ = std::make_unique<analytics::EventWriter>(std::move(wo), stats_);
  if (!writer_->open(error)) {
    writer_.reset();
    return false;
  }
  for (unsigned i = 0; i < workers; ++i) channels_.push_back(&writer_->add_channel());

  analytics::UploadTarget target;
  target.url = cfg.upload.url;
  if (!cfg.upload.bearer_token.empty()) target.authorization = "Bearer " + cfg.upload.bearer_token;
  else if (!cfg.upload.basic_user.empty())
    target.authorization = analytics::basic_authorization(cfg.upload.basic_user, cfg.upload.basic_password);
  target.ca_file = cfg.upload.ca_file;
  target.interval = cfg.upload.interval;
  target.retry_min = cfg.upload.retry_min;
  target.retry_max = cfg.upload.retry_max;
  target.timeout = cfg.upload.timeout;
  target.paused_for_tests = shipper_paused_for_tests();
  if (target.paused_for_tests) log::warn("analytics: POSTERN_TEST_SHIPPER_PAUSE=1: the shipper will do nothing");
  auto* writer = writer_.get();
  auto outbox = std::make_unique<analytics::Outbox>(cfg.dir, cfg.gzip, *budget_, stats_,
                                                    [writer] { return writer->active_bytes(); });
  shipper_ = std::make_unique<analytics::Shipper>(std::move(outbox), node_id, std::move(target), stats_);
  if (!shipper_->start(error)) {
    error = "analytics.upload: " + error;
    return false;
  }
  writer_->start();
  log::info("analytics: events to {} ({}){}", cfg.dir.string(),
            cfg.flush_interval.count() == 0 ? "every event written before its response completes"
                                            : fmt::format("flushed every {} ms", cfg.flush_interval.count()),
            cfg.upload.url.empty() ? std::string(", kept locally") : ", uploaded to " + cfg.upload.url);
  return true;
}

void AnalyticsState::configure_buffer(unsigned i, analytics::EventBuffer& buffer) {
  if (!writer_) return;
  buffer.configure(writer_.get(), channels_.at(i), cfg_.flush_interval.count() == 0, cfg_.max_buffer_bytes);
}

void AnalyticsState::stop(const std::vector<analytics::EventBuffer*>& buffers) {
  if (!writer_) return;
  for (auto* b : buffers) b->drain_at_exit();
  writer_->stop();
  log::info("analytics: {} events written", stats_.events_written.load());
  if (shipper_) shipper_->stop();
}

void AnalyticsState::check_reload(const config::AnalyticsConfig& cfg) const {
  const auto& a = cfg_;
  bool same = a.enabled == cfg.enabled && a.dir == cfg.dir && a.flush_interval == cfg.flush_interval &&
              a.rotate_bytes == cfg.rotate_bytes && a.rotate_age == cfg.rotate_age && a.gzip == cfg.gzip &&
              a.max_disk_bytes == cfg.max_disk_bytes && a.max_buffer_bytes == cfg.max_buffer_bytes &&
              a.upload.url == cfg.upload.url && a.upload.bearer_token == cfg.upload.bearer_token &&
              a.upload.basic_user == cfg.upload.basic_user && a.upload.basic_password == cfg.upload.basic_password &&
              a.upload.ca_file == cfg.upload.ca_file && a.upload.interval == cfg.upload.interval &&
              a.upload.retry_min == cfg.upload.retry_min && a.upload.retry_max == cfg.upload.retry_max &&
              a.upload.timeout == cfg.upload.timeout;
  if (!same) log::warn("reload: the 'analytics' settings changed; they take effect at the next start");
}

void AnalyticsState::append_metrics(std::string& out, const std::vector<const analytics::EventBuffer*>& buffers) const {
  if (!writer_) return;
  uint64_t enqueued = 0, dropped = 0;
  for (const auto* b : buffers) {
    enqueued += b->enqueued();
    dropped += b->dropped();
  }
  uint64_t written = stats_.events_written.load(std::memory_order_relaxed);
  auto counter = [&](const char* name, const char* help, uint64_t v) {
    fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} counter\n{} {}\n", name, help, name, name, v);
  };
  auto gauge = [&](const char* name, const char* help, uint64_t v) {
    fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} gauge\n{} {}\n", name, help, name, name, v);
  };
  counter("postern_analytics_events_total", "Analytics events recorded by the workers.", enqueued);
  counter("postern_analytics_events_written_total", "Analytics events appended to event files.", written);
  gauge("postern_analytics_events_buffered", "Analytics events recorded but not yet in a file.",
        enqueued > written ? enqueued - written : 0);
  out +=
      "# HELP postern_analytics_events_dropped_total Analytics events lost, by reason.\n"
      "# TYPE postern_analytics_events_dropped_total counter\n";
  fmt::format_to(std::back_inserter(out), "postern_analytics_events_dropped_total{{reason=\"buffer_full\"}} {}\n",
                 dropped);
  fmt::format_to(std::back_inserter(out), "postern_analytics_events_dropped_total{{reason=\"disk_budget\"}} {}\n",
                 stats_.events_dropped_disk.load(std::memory_order_relaxed));
  counter("postern_analytics_bytes_written_total", "Bytes appended to event files.",
          stats_.bytes_written.load(std::memory_order_relaxed));
  counter("postern_analytics_write_errors_total", "Failed writes to event files (retried).",
          stats_.write_errors.load(std::memory_order_relaxed));
  counter("postern_analytics_files_closed_total", "Event files rotated.",
          stats_.files_closed.load(std::memory_order_relaxed));
  gauge("postern_analytics_files_pending", "Closed event files waiting for upload.",
        stats_.files_pending.load(std::memory_order_relaxed));
  gauge("postern_analytics_disk_bytes", "Bytes of all event files on disk.",
        stats_.disk_bytes.load(std::memory_order_relaxed));
  counter("postern_analytics_files_uploaded_total", "Event files the collector acknowledged.",
          stats_.files_uploaded.load(std::memory_order_relaxed));
  counter("postern_analytics_events_uploaded_total", "Events in files the collector acknowledged.",
          stats_.events_uploaded.load(std::memory_order_relaxed));
  counter("postern_analytics_upload_failures_total", "Upload attempts that failed and will be retried.",
          stats_.upload_failures.load(std::memory_order_relaxed));
  counter("postern_analytics_files_rejected_total", "Event files the collector refused as malformed.",
          stats_.files_rejected.load(std::memory_order_relaxed));
  counter("postern_analytics_files_dropped_total", "Event files deleted unsent past the disk budget.",
          stats_.files_dropped.load(std::memory_order_relaxed));
}

}  // namespace postern::server
