#include "analytics/shipper.h"

#include <openssl/evp.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>
#include <iterator>

#include "core/log.h"
#include "net/tls_context.h"
#include "upstream/http_get.h"

namespace postern::analytics {

std::string basic_authorization(std::string_view user, std::string_view password) {
  std::string plain = std::string(user) + ":" + std::string(password);
  std::string b64(4 * ((plain.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                          reinterpret_cast<const unsigned char*>(plain.data()), int(plain.size()));
  b64.resize(size_t(n));
  return "Basic " + b64;
}

Shipper::Shipper(std::unique_ptr<Outbox> outbox, std::string node, UploadTarget target, Stats& stats)
    : outbox_(std::move(outbox)), node_(std::move(node)), target_(std::move(target)), stats_(stats) {}

Shipper::~Shipper() { stop(); }

bool Shipper::start(std::string& error) {
  if (target_.url.starts_with("https://")) {
    tls_ = net::make_client_tls(target_.ca_file, error);
    if (!tls_) return false;
  }
  net::asio::co_spawn(io_, loop(), net::asio::detached);
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "postern-ship");
    // Compressing a rotated file takes a few hundred milliseconds of CPU (zlib level 1,
    // ~170 MB/s): at a lower priority it waits for idle moments instead of delaying
    // requests on a busy core. Linux applies nice per thread.
    if (::setpriority(PRIO_PROCESS, pid_t(::syscall(SYS_gettid)), 10) != 0) {
      log::debug("analytics: could not lower the shipper's priority");
    }
    io_.run();
  });
  return true;
}

void Shipper::notify() {
  net::asio::post(io_, [this] {
    poke_ = true;
    timer_.cancel();
  });
}

void Shipper::stop() {
  if (!thread_.joinable()) return;
  net::asio::post(io_, [this] {
    stopping_ = true;
    timer_.cancel();
  });
  // An upload in progress is abandoned: the file stays in the outbox for the next start.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (!io_.stopped() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  io_.stop();
  thread_.join();
}

net::awaitable<void> Shipper::loop() {
  auto backoff = target_.retry_min;
  bool failing = false;
  for (;;) {
    poke_ = false;
    if (!target_.paused_for_tests) outbox_->seal_closed_files();
    outbox_->refresh_gauges();
    bool failed = false;
    if (!target_.url.empty() && !target_.paused_for_tests) {
      for (const auto& f : outbox_->pending()) {
        if (stopping_) break;
        // Claimed for the upload: the writer may drop other files meanwhile, not this one.
        if (!outbox_->claim(f)) continue;  // dropped for the budget since the listing
        Result r = co_await upload(f);
        outbox_->release(f);
        if (r == Result::kRetry) {
          failed = true;
          break;
        }
        if (r == Result::kStored) outbox_->remove(f);
        else outbox_->reject(f);
        outbox_->refresh_gauges();
      }
    }
    if (failed) {
      if (!failing) log::warn("analytics: uploads to {} are failing; retrying with backoff", target_.url);
      failing = true;
    } else {
      if (failing) log::info("analytics: uploads to {} work again", target_.url);
      failing = false;
      backoff = target_.retry_min;
    }
    if (stopping_) co_return;
    // A notification means a new file, not a recovered collector: keep backing off then.
    timer_.expires_after(failed ? backoff : target_.interval);
    net::error_code ec;
    co_await timer_.async_wait(net::with_ec(ec));
    if (stopping_) co_return;
    if (failed) backoff = std::min(backoff * 2, target_.retry_max);
  }
}

net::awaitable<Shipper::Result> Shipper::upload(const OutboxFile& f) {
  std::ifstream in(f.path, std::ios::binary);
  if (!in) co_return Result::kRetry;
  std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string headers = "Content-Type: application/x-ndjson\r\n";
  if (f.gzip) headers += "Content-Encoding: gzip\r\n";
  headers += "X-Postern-Node: " + node_ + "\r\n";
  headers += "X-Postern-Events: " + std::to_string(f.events) + "\r\n";
  if (!target_.authorization.empty()) headers += "Authorization: " + target_.authorization + "\r\n";
  auto start = std::chrono::steady_clock::now();
  auto res = co_await upstream::http_fetch("POST", target_.url + "/v1/files/" + f.file_id, headers, std::move(body),
                                           tls_, target_.timeout, 64 * 1024);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  if (res.status == 200) {
    stats_.files_uploaded.fetch_add(1, std::memory_order_relaxed);
    stats_.events_uploaded.fetch_add(f.events, std::memory_order_relaxed);
    log::info("analytics: uploaded {} ({} events, {} ms){}", f.file_id, f.events, ms,
              res.body.find("\"duplicate\":true") != std::string::npos ? " (the collector had it already)" : "");
    co_return Result::kStored;
  }
  if (res.status == 400 || res.status == 413) {
    log::error("analytics: the collector refused {} ({}): {}; moved to rejected/", f.file_id, res.status, res.body);
    co_return Result::kRejected;
  }
  stats_.upload_failures.fetch_add(1, std::memory_order_relaxed);
  if (res.status == 401 || res.status == 403) {
    log::error("analytics: the collector refused our credentials ({}) for {}", res.status, f.file_id);
  } else {
    log::debug("analytics: upload of {} failed: {}", f.file_id,
               res.status ? "status " + std::to_string(res.status) : res.error);
  }
  co_return Result::kRetry;
}

}  // namespace postern::analytics
