#pragma once
// Internal helpers for reading YAML/JSON config with file:line:col diagnostics. Every
// reader reports into a Diagnostics sink and keeps going, so one load finds every error.
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/loader.h"

namespace postern::config::detail {

// Where errors (and warnings) of one file go. Warnings are dropped when no sink was given;
// count() counts errors only, so a warning never makes a reader give up on a value.
class Diagnostics {
 public:
  Diagnostics(std::vector<Diagnostic>& out, std::string file, std::vector<Diagnostic>* warnings = nullptr)
      : out_(out), warnings_(warnings), file_(std::move(file)) {}
  void error(const YAML::Node& at, std::string message);
  void error(const YAML::Mark& at, std::string message);
  void error(std::string message);  // no position (whole file)
  // Something that loads but is not applied: "file:line:col: warning: message".
  void warn(const YAML::Node& at, std::string message);
  void warn(const YAML::Mark& at, std::string message);
  const std::string& file() const { return file_; }
  size_t count() const { return out_.size(); }
  // "file:line:col" of a node, for Route::source and messages that point elsewhere.
  std::string location(const YAML::Mark& at) const;

 private:
  std::vector<Diagnostic>& out_;
  std::vector<Diagnostic>* warnings_;
  std::string file_;
};

// The closest of `candidates` to `word` when close enough to be a likely typo, else "".
std::string suggest(std::string_view word, std::initializer_list<std::string_view> candidates);
std::string suggest(std::string_view word, const std::vector<std::string_view>& candidates);
// "; did you mean 'x'?" or "".
std::string did_you_mean(std::string_view suggestion);

struct Entry {
  YAML::Node key;
  YAML::Node value;
  std::string name;
};

// The entries of a YAML map, in document order. Reports a non-map, duplicate keys and
// (when `known` is given) unknown keys as "unknown key 'k' in WHERE; did you mean ...".
class MapReader {
 public:
  MapReader(Diagnostics& d, const YAML::Node& map, std::string_view where,
            std::optional<std::vector<std::string_view>> known);
  bool ok() const { return is_map_; }
  const Entry* get(std::string_view name) const;
  const std::vector<Entry>& entries() const { return entries_; }
  // True when an unknown key was reported with `name` as its suggestion (so a caller
  // need not also report `name` as missing).
  bool misspelled(std::string_view name) const;

 private:
  bool is_map_ = false;
  std::vector<Entry> entries_;
  std::vector<std::string> suggested_;
};

// Scalar readers: report "'what' must be ..." at the value and return nullopt on error.
std::optional<std::string> read_string(Diagnostics& d, const Entry& e, std::string_view what);
std::optional<bool> read_bool(Diagnostics& d, const Entry& e, std::string_view what);
std::optional<uint64_t> read_uint(Diagnostics& d, const Entry& e, std::string_view what, uint64_t min, uint64_t max);
// "10s", "250ms", "2m", "1h" or a plain integer of milliseconds.
std::optional<std::chrono::milliseconds> read_duration(Diagnostics& d, const Entry& e, std::string_view what);
// A plain integer of bytes, or with a binary suffix: "64KiB", "10MiB", "1GiB".
std::optional<uint64_t> read_size(Diagnostics& d, const Entry& e, std::string_view what);

// Secrets never sit in postern.yaml: `e` names an environment variable, or a file (relative
// to the project). `what` says whose secret it is in messages ("the client secret").
// Trailing CR/LF of a file are dropped. nullopt (reported) when unset, empty or unreadable.
std::optional<std::string> read_secret_env(Diagnostics& d, const Entry& e, std::string_view what);
std::optional<std::string> read_secret_file(Diagnostics& d, const Entry& e, const std::filesystem::path& project_abs,
                                            std::string_view what);

std::optional<std::chrono::milliseconds> parse_duration(std::string_view s);
std::optional<uint64_t> parse_size(std::string_view s);

}  // namespace postern::config::detail
