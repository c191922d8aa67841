#include "analytics/event_writer.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include <boost/asio/post.hpp>

#include "analytics/disk_budget.h"
#include "analytics/event_json.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/strings.h"

namespace postern::analytics {

namespace fs = std::filesystem;

std::string file_safe(std::string_view node) {
  std::string out;
  for (char c : node) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-';
    out += ok ? c : '_';
  }
  if (out.empty()) out = "node";
  if (out.size() > 64) out.resize(64);
  return out;
}

std::string make_file_id(std::string_view node, int64_t unix_micros) {
  static thread_local std::mt19937_64 rng{std::random_device{}() ^ (uint64_t(std::random_device{}()) << 32)};
  std::string iso;
  append_iso8601_micros(iso, unix_micros);  // 2026-11-26T09:31:30.123456Z
  std::string id;
  for (char c : iso) {
    if (c != '-' && c != ':' && c != '.') id += c;
  }
  id += '-';
  id += file_safe(node);
  id += '-';
  append_hex(id, rng(), 16);
  return id;
}

namespace {

// Cuts a file left by a crash back to its last complete line. Returns the size kept.
uint64_t cut_partial_line(const fs::path& p) {
  int fd = ::open(p.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return 0;
  off_t size = ::lseek(fd, 0, SEEK_END);
  off_t keep = size;
  char buf[4096];
  while (keep > 0) {
    off_t from = keep > off_t(sizeof buf) ? keep - off_t(sizeof buf) : 0;
    ssize_t n = ::pread(fd, buf, size_t(keep - from), from);
    if (n <= 0) break;
    ssize_t i = n - 1;
    while (i >= 0 && buf[i] != '\n') --i;
    if (i >= 0) {
      keep = from + i + 1;
      break;
    }
    keep = from;
  }
  if (keep != size) {
    log::warn("analytics: {} ended in a partial line (crash while writing); cut {} bytes", p.string(), size - keep);
    if (::ftruncate(fd, keep) != 0) log::warn("analytics: cannot truncate {}: {}", p.string(), std::strerror(errno));
  }
  ::close(fd);
  return uint64_t(keep);
}

}  // namespace

EventWriter::EventWriter(Options options, Stats& stats)
    : options_(std::move(options)), dirs_(options_.dir), stats_(stats) {}

EventWriter::~EventWriter() {
  stop();
  for (Batch* b : pending_) delete b;
  for (auto& ch : channels_) {
    Batch* b = nullptr;
    while (ch->queue.pop(b)) delete b;
  }
  if (event_fd_ >= 0) ::close(event_fd_);
}

bool EventWriter::open(std::string& error) {
  std::error_code ec;
  for (const fs::path* d : {&dirs_.active, &dirs_.closed, &dirs_.outbox, &dirs_.rejected}) {
    fs::create_directories(*d, ec);
    if (ec) {
      error = "cannot create analytics folder " + d->string() + ": " + ec.message();
      return false;
    }
  }
  // Files a previous process was writing when it stopped (or crashed) are closed now.
  for (const auto& entry : fs::directory_iterator(dirs_.active, ec)) {
    const fs::path& p = entry.path();
    if (p.extension() != ".jsonl") continue;
    uint64_t kept = cut_partial_line(p);
    if (kept == 0) {
      fs::remove(p, ec);
      continue;
    }
    fs::rename(p, dirs_.closed / p.filename(), ec);
    if (ec) {
      error = "cannot move " + p.string() + " to " + dirs_.closed.string() + ": " + ec.message();
      return false;
    }
    log::info("analytics: recovered {} ({} bytes) from a previous run", p.filename().string(), kept);
  }
  // What a previous run left (or a smaller max_disk) may not fit: make room before writing.
  if (options_.budget) options_.budget->make_room_for_next_file();
  event_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (event_fd_ < 0) {
    error = std::string("eventfd: ") + std::strerror(errno);
    return false;
  }
  return true;
}

Channel& EventWriter::add_channel() {
  channels_.push_back(std::make_unique<Channel>());
  return *channels_.back();
}

void EventWriter::start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "postern-events");
    run();
  });
}

void EventWriter::signal() {
  uint64_t one = 1;
  ssize_t n = ::write(event_fd_, &one, sizeof one);
  (void)n;  // EAGAIN: the counter is already non-zero, the writer will wake anyway
}

void EventWriter::stop() {
  if (!thread_.joinable()) return;
  stop_.store(true, std::memory_order_release);
  signal();
  thread_.join();
}

void EventWriter::drain_queues() {
  for (auto& ch : channels_) {
    Batch* b = nullptr;
    while (ch->queue.pop(b)) pending_.push_back(b);
  }
}

void EventWriter::run() {
  for (;;) {
    // Sleep until woken, the next rotation by age is due, or a failed write is retried.
    int timeout_ms = 250;
    if (last_write_failed_) timeout_ms = 100;
    pollfd p{event_fd_, POLLIN, 0};
    ::poll(&p, 1, timeout_ms);
    uint64_t counter;
    while (::read(event_fd_, &counter, sizeof counter) > 0) {
    }
    // Cleared before draining: a push after this point sets it again and signals.
    wake_pending_.store(false, std::memory_order_seq_cst);
    bool stopping = stop_.load(std::memory_order_acquire);
    drain_queues();
    if (!pending_.empty()) last_write_failed_ = !write_pending();
    auto now = std::chrono::steady_clock::now();
    if (fd_ >= 0 && !last_write_failed_ &&
        (file_bytes_ >= options_.rotate_bytes || (file_bytes_ > 0 && now - file_opened_ >= options_.rotate_age))) {
      close_file();
    }
    if (stopping) {
      drain_queues();  // producers stopped before stop(): nothing arrives after this
      for (int attempt = 0; !pending_.empty() && attempt < 50; ++attempt) {
        if (!write_pending()) ::poll(nullptr, 0, 100);
      }
      if (!pending_.empty()) log::error("analytics: could not write {} batches at shutdown", pending_.size());
      if (fd_ >= 0) close_file();
      return;
    }
  }
}

bool EventWriter::open_file() {
  file_id_ = make_file_id(options_.node, SystemClock::instance().unix_micros());
  fs::path p = dirs_.active / (file_id_ + ".jsonl");
  fd_ = ::open(p.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    if (!last_write_failed_) log::error("analytics: cannot open {}: {}", p.string(), std::strerror(errno));
    stats_.write_errors.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  file_bytes_ = 0;
  active_bytes_.store(0, std::memory_order_relaxed);
  file_opened_ = std::chrono::steady_clock::now();
  return true;
}

void EventWriter::close_file() {
  ::close(fd_);
  fd_ = -1;
  std::error_code ec;
  fs::path from = dirs_.active / (file_id_ + ".jsonl");
  if (file_bytes_ == 0) {
    fs::remove(from, ec);
    return;
  }
  fs::rename(from, dirs_.closed / (file_id_ + ".jsonl"), ec);
  if (ec) log::error("analytics: cannot move {} to {}: {}", from.string(), dirs_.closed.string(), ec.message());
  active_bytes_.store(0, std::memory_order_relaxed);
  stats_.files_closed.fetch_add(1, std::memory_order_relaxed);
  // Here, not on the shipper: however far behind the shipper is, the next file fits.
  if (options_.budget) options_.budget->make_room_for_next_file();
  if (options_.on_file_closed) options_.on_file_closed();
}

bool EventWriter::write_pending() {
  // One writev for everything popped (up to 256 batches, and no further than the rotation
  // size); a short write resumes mid-batch. A file exceeds rotate_size by one batch at most.
  while (!pending_.empty()) {
    if (fd_ < 0 && !open_file()) return false;
    iovec iov[256];
    int n = 0;
    uint64_t planned = file_bytes_;
    for (auto it = pending_.begin(); it != pending_.end() && n < 256; ++it, ++n) {
      if (n > 0 && planned >= options_.rotate_bytes) break;
      iov[n].iov_base = (*it)->data.data();
      iov[n].iov_len = (*it)->data.size();
      planned += (*it)->data.size();
    }
    ssize_t w = ::writev(fd_, iov, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (!last_write_failed_) log::error("analytics: writing events failed: {} (retrying)", std::strerror(errno));
      stats_.write_errors.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    file_bytes_ += uint64_t(w);
    active_bytes_.store(file_bytes_, std::memory_order_relaxed);
    stats_.bytes_written.fetch_add(uint64_t(w), std::memory_order_relaxed);
    size_t left = size_t(w);
    bool mid_line = false;
    while (!pending_.empty()) {
      Batch* b = pending_.front();
      if (left < b->data.size()) {
        b->data.erase(0, left);  // rare: a short write
        mid_line = left > 0;
        break;
      }
      left -= b->data.size();
      pending_.pop_front();
      stats_.events_written.fetch_add(b->events, std::memory_order_relaxed);
      if (b->channel) b->channel->outstanding_bytes.fetch_sub(b->accounted, std::memory_order_relaxed);
      if (b->written) {
        // Resume the waiting request on its own worker.
        // Resume the waiting request on its worker's loop (posting is thread-safe).
        boost::asio::post(*b->channel->loop, std::move(b->written));
      }
      delete b;
    }
    // Never rotate inside a batch: its rest belongs to this file.
    if (!mid_line && file_bytes_ >= options_.rotate_bytes) close_file();
  }
  if (last_write_failed_) log::info("analytics: writing events works again");
  return true;
}

}  // namespace postern::analytics
