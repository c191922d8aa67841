#pragma once
// The one thread that appends events to the active file (docs/analytics.md "Files").
// Workers hand it batches of serialized lines through a lock-free single-producer queue of
// their own (a Channel) and wake it through an eventfd; it writes everything it finds with
// one writev(2), then rotates the file by size or age. In every-event mode a batch carries
// the waiting request's completion, resumed on its worker only after the write succeeded:
// that is how "no served request without its event" holds across kill -9. The writer also
// keeps the disk budget (DiskBudget), since it is the one that makes the folder grow.
#include <atomic>
#include <chrono>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/lockfree/spsc_queue.hpp>

#include "analytics/stats.h"

namespace postern::analytics {

struct Channel;
class DiskBudget;

struct Batch {
  std::string data;  // complete JSON lines
  uint32_t events = 0;
  uint64_t accounted = 0;  // bytes counted in channel->outstanding_bytes
  Channel* channel = nullptr;
  std::function<void()> written;  // every-event mode: resumes the request (on its worker's loop)
};

// One per worker: the worker pushes, the writer pops.
struct Channel {
  boost::lockfree::spsc_queue<Batch*, boost::lockfree::capacity<4096>> queue;
  boost::asio::io_context* loop = nullptr;     // the worker's: where waiting requests resume
  std::atomic<uint64_t> outstanding_bytes{0};  // handed over, not yet written
};

// Layout under the analytics folder.
struct Dirs {
  std::filesystem::path active, closed, outbox, rejected;
  explicit Dirs(const std::filesystem::path& root)
      : active(root / "active"), closed(root / "closed"), outbox(root / "outbox"), rejected(root / "rejected") {}
};

// A new file id: "<UTC yyyymmddThhmmssuuuuuuZ>-<node>-<16 hex>", sortable by time.
std::string make_file_id(std::string_view node, int64_t unix_micros);
// The node id with every character outside [A-Za-z0-9._-] replaced by '_'.
std::string file_safe(std::string_view node);

class EventWriter {
 public:
  struct Options {
    std::filesystem::path dir;
    std::string node;
    uint64_t rotate_bytes = 64ull << 20;
    std::chrono::milliseconds rotate_age{300'000};
    std::function<void()> on_file_closed;  // called on the writer thread after a rotation
    // Kept at start and after every rotation, before the next file opens (null: no budget).
    DiskBudget* budget = nullptr;
  };
  EventWriter(Options options, Stats& stats);
  ~EventWriter();

  // Creates the folders and moves files a previous process left in active/ to closed/
  // (cutting a partial last line). Returns false with `error` when the folder is unusable.
  bool open(std::string& error);
  Channel& add_channel();  // before start()
  void start();
  // Any thread: there is something in a queue.
  void wake() {
    if (!wake_pending_.exchange(true, std::memory_order_acq_rel)) signal();
  }
  // After every producer stopped: writes everything queued, closes the file, joins.
  void stop();
  uint64_t active_bytes() const { return active_bytes_.load(std::memory_order_relaxed); }

 private:
  void signal();
  void run();
  void drain_queues();
  bool write_pending();
  bool open_file();
  void close_file();

  Options options_;
  Dirs dirs_;
  Stats& stats_;
  std::vector<std::unique_ptr<Channel>> channels_;
  std::deque<Batch*> pending_;  // popped, not yet written (a failed write keeps them here)
  int event_fd_ = -1;
  std::atomic<bool> wake_pending_{false};
  std::atomic<bool> stop_{false};
  std::thread thread_;
  int fd_ = -1;
  std::string file_id_;
  uint64_t file_bytes_ = 0;
  std::chrono::steady_clock::time_point file_opened_{};
  std::atomic<uint64_t> active_bytes_{0};
  bool last_write_failed_ = false;
};

}  // namespace postern::analytics
