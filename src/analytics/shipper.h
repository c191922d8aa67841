#pragma once
// The shipper thread (docs/analytics.md "Upload"): seals closed files into the outbox and,
// when a collector is configured, uploads the outbox oldest first. The disk budget is the
// writer's (DiskBudget); the shipper claims each file it works on so the writer leaves it
// alone. A file is deleted only after the collector answered 200 (it stored the file, or
// had it already: it deduplicates by file id); failures are retried with exponential
// backoff, so a gateway offline for days delivers everything, once, when it is back.
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "analytics/outbox.h"
#include "analytics/stats.h"
#include "net/asio.h"

namespace postern::analytics {

struct UploadTarget {
  std::string url;            // collector base URL; "" = keep files locally
  std::string authorization;  // complete header value, or ""
  std::filesystem::path ca_file;
  std::chrono::milliseconds interval{10'000};
  std::chrono::milliseconds retry_min{1'000};
  std::chrono::milliseconds retry_max{300'000};
  std::chrono::milliseconds timeout{60'000};
  // Test hook (POSTERN_TEST_SHIPPER_PAUSE=1, read once at start): the shipper neither seals
  // nor uploads, as if it could never keep up. Lets tests show the writer alone keeps the
  // disk budget.
  bool paused_for_tests = false;
};

// "Basic base64(user:password)".
std::string basic_authorization(std::string_view user, std::string_view password);

class Shipper {
 public:
  Shipper(std::unique_ptr<Outbox> outbox, std::string node, UploadTarget target, Stats& stats);
  ~Shipper();
  bool start(std::string& error);
  // Any thread: a file was closed; look now rather than at the next interval.
  void notify();
  void stop();

 private:
  enum class Result { kStored, kRejected, kRetry };
  net::awaitable<void> loop();
  net::awaitable<Result> upload(const OutboxFile& f);

  std::unique_ptr<Outbox> outbox_;
  std::string node_;
  UploadTarget target_;
  Stats& stats_;
  std::shared_ptr<net::asio::ssl::context> tls_;
  net::asio::io_context io_;
  net::asio::steady_timer timer_{io_};
  std::thread thread_;
  bool stopping_ = false;
  bool poke_ = false;
};

}  // namespace postern::analytics
