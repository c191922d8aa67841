#pragma once
// Reading what the gateway's analytics pipeline left on disk (docs/analytics.md "Files").
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>

#include <set>

#include "harness.h"

namespace postern::itest {

// Every line of an event file, plain or gzip (gzread reads both).
inline std::vector<std::string> read_event_lines(const fs::path& file) {
  std::vector<std::string> lines;
  gzFile f = gzopen(file.c_str(), "rb");
  if (f == nullptr) return lines;
  std::string all;
  char buf[65536];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) all.append(buf, size_t(n));
  gzclose(f);
  size_t start = 0;
  while (start < all.size()) {
    size_t nl = all.find('\n', start);
    if (nl == std::string::npos) {
      lines.push_back(all.substr(start) + "<no newline>");
      break;
    }
    lines.push_back(all.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

// All event files under an analytics folder (active, closed, outbox, rejected).
inline std::vector<fs::path> event_files(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const char* sub : {"active", "closed", "outbox", "rejected"}) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir / sub, ec)) {
      std::string name = e.path().filename().string();
      if (name.ends_with(".jsonl") || name.ends_with(".jsonl.gz")) out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Every record on disk, parsed; a line that is not a JSON object fails the test.
inline std::vector<Json> read_records(const fs::path& dir) {
  std::vector<Json> out;
  for (const auto& f : event_files(dir)) {
    for (const auto& line : read_event_lines(f)) {
      auto j = Json::parse(line);
      EXPECT_TRUE(j && j->is_object()) << f << ": not a JSON object: " << line;
      if (j && j->is_object()) out.push_back(std::move(*j));
    }
  }
  return out;
}

// The value of one sample line ("name{labels} value") in Prometheus text, or -1.
inline double metric(const std::string& text, const std::string& series) {
  size_t at = 0;
  while ((at = text.find(series + " ", at)) != std::string::npos) {
    if (at == 0 || text[at - 1] == '\n') return std::stod(text.substr(at + series.size() + 1));
    at += series.size();
  }
  return -1;
}

inline std::vector<Json> only_type(const std::vector<Json>& records, const std::string& type) {
  std::vector<Json> out;
  for (const auto& r : records) {
    if (r["type"].str() == type) out.push_back(r);
  }
  return out;
}

}  // namespace postern::itest
