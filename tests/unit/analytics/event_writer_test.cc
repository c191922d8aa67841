#include "analytics/event_writer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "analytics/event_buffer.h"

namespace postern::analytics {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path = fs::temp_directory_path() /
                  ("postern-writer-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

size_t count_lines(const fs::path& dir) {
  size_t n = 0;
  for (const char* sub : {"active", "closed"}) {
    for (const auto& e : fs::directory_iterator(dir / sub)) {
      std::ifstream in(e.path());
      std::string line;
      while (std::getline(in, line)) ++n;
    }
  }
  return n;
}

Event sample() {
  Event e;
  e.request_id = "0123456789abcdef0123456789abcdef";
  e.api = "Pets";
  e.status = 200;
  return e;
}

TEST(EventWriter, AStalledWriterBoundsTheWorkerAndLosesOnlyWhatItCounts) {
  TempDir tmp;
  Stats stats;
  EventWriter writer({tmp.path, "node", 64ull << 20, std::chrono::minutes(5), nullptr}, stats);
  std::string error;
  ASSERT_TRUE(writer.open(error)) << error;
  EventBuffer buffer;
  buffer.configure(&writer, &writer.add_channel(), false, 256 * 1024);
  // The writer thread is not running yet: everything piles up until the bound.
  for (int i = 0; i < 5000; ++i) buffer.append(sample());
  buffer.flush();
  EXPECT_GT(buffer.dropped(), 0u);
  EXPECT_EQ(buffer.enqueued() + buffer.dropped(), 5000u);
  writer.start();
  for (int i = 0; i < 100; ++i) buffer.append(sample());  // still bounded: nothing written yet
  buffer.drain_at_exit();
  writer.stop();
  EXPECT_EQ(stats.events_written.load(), buffer.enqueued());
  EXPECT_EQ(count_lines(tmp.path), buffer.enqueued());
  EXPECT_EQ(stats.files_closed.load(), 1u) << "stop closes the file";
}

TEST(EventWriter, RotatesBySizeAndRecoversAPartialLine) {
  TempDir tmp;
  Stats stats;
  {
    EventWriter writer({tmp.path, "node", 4096, std::chrono::minutes(5), nullptr}, stats);
    std::string error;
    ASSERT_TRUE(writer.open(error)) << error;
    EventBuffer buffer;
    buffer.configure(&writer, &writer.add_channel(), false, 1 << 20);
    writer.start();
    for (int i = 0; i < 200; ++i) {
      buffer.append(sample());
      if (i % 10 == 0) buffer.flush();
    }
    buffer.drain_at_exit();
    writer.stop();
  }
  EXPECT_GT(stats.files_closed.load(), 5u);
  EXPECT_EQ(count_lines(tmp.path), 200u);
  // A file a crashed process left mid-line: the next open cuts the partial line and closes it.
  {
    std::ofstream f(tmp.path / "active" / "crashed.jsonl");
    f << "{\"a\":1}\n{\"b\":";
  }
  EventWriter again({tmp.path, "node", 4096, std::chrono::minutes(5), nullptr}, stats);
  std::string error;
  ASSERT_TRUE(again.open(error)) << error;
  EXPECT_FALSE(fs::exists(tmp.path / "active" / "crashed.jsonl"));
  std::ifstream in(tmp.path / "closed" / "crashed.jsonl");
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(all, "{\"a\":1}\n");
}

}  // namespace
}  // namespace postern::analytics
