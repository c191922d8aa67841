#include "config/yaml_reader.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>

#include "core/strings.h"

namespace postern::config::detail {

namespace {

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (ascii_lower(a[i - 1]) == ascii_lower(b[j - 1]) ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

std::string Diagnostics::location(const YAML::Mark& at) const {
  if (at.line < 0) return file_;
  return file_ + ":" + std::to_string(at.line + 1) + ":" + std::to_string(at.column + 1);
}

void Diagnostics::error(const YAML::Mark& at, std::string message) {
  Diagnostic d;
  d.file = file_;
  if (at.line >= 0) {
    d.line = at.line + 1;
    d.column = at.column + 1;
  }
  d.message = std::move(message);
  out_.push_back(std::move(d));
}

void Diagnostics::error(const YAML::Node& at, std::string message) {
  error(at.IsDefined() ? at.Mark() : YAML::Mark::null_mark(), std::move(message));
}

void Diagnostics::error(std::string message) { error(YAML::Mark::null_mark(), std::move(message)); }

void Diagnostics::warn(const YAML::Mark& at, std::string message) {
  if (warnings_ == nullptr) return;
  Diagnostic d;
  d.file = file_;
  if (at.line >= 0) {
    d.line = at.line + 1;
    d.column = at.column + 1;
  }
  d.message = std::move(message);
  d.warning = true;
  warnings_->push_back(std::move(d));
}

void Diagnostics::warn(const YAML::Node& at, std::string message) {
  warn(at.IsDefined() ? at.Mark() : YAML::Mark::null_mark(), std::move(message));
}

std::string suggest(std::string_view word, const std::vector<std::string_view>& candidates) {
  std::string_view best;
  size_t best_d = std::numeric_limits<size_t>::max();
  for (std::string_view c : candidates) {
    size_t d = edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  size_t limit = std::max<size_t>(2, word.size() / 3);
  if (best.empty() || best_d > limit) return "";
  return std::string(best);
}

std::string suggest(std::string_view word, std::initializer_list<std::string_view> candidates) {
  return suggest(word, std::vector<std::string_view>(candidates));
}

std::string did_you_mean(std::string_view suggestion) {
  if (suggestion.empty()) return "";
  return "; did you mean '" + std::string(suggestion) + "'?";
}

MapReader::MapReader(Diagnostics& d, const YAML::Node& map, std::string_view where,
                     std::optional<std::vector<std::string_view>> known) {
  if (!map.IsMap()) {
    d.error(map, std::string(where) + " must be a map (key: value pairs)");
    return;
  }
  is_map_ = true;
  for (auto it = map.begin(); it != map.end(); ++it) {
    Entry e{it->first, it->second, it->first.IsScalar() ? it->first.Scalar() : std::string()};
    if (!it->first.IsScalar()) {
      d.error(it->first, "keys in " + std::string(where) + " must be plain strings");
      continue;
    }
    if (get(e.name) != nullptr) {
      d.error(it->first, "duplicate key '" + e.name + "' in " + std::string(where) + " (first set at " +
                             d.location(get(e.name)->key.Mark()) + ")");
      continue;
    }
    if (known && std::find(known->begin(), known->end(), e.name) == known->end()) {
      std::string s = suggest(e.name, *known);
      d.error(it->first, "unknown key '" + e.name + "' in " + std::string(where) + did_you_mean(s));
      if (!s.empty()) suggested_.push_back(std::move(s));
      continue;
    }
    entries_.push_back(std::move(e));
  }
}

bool MapReader::misspelled(std::string_view name) const {
  return std::find(suggested_.begin(), suggested_.end(), name) != suggested_.end();
}

const Entry* MapReader::get(std::string_view name) const {
  for (const Entry& e : entries_) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

std::optional<std::string> read_string(Diagnostics& d, const Entry& e, std::string_view what) {
  if (!e.value.IsScalar()) {
    d.error(e.value.IsNull() ? e.key : e.value, "'" + std::string(what) + "' must be a string");
    return std::nullopt;
  }
  return e.value.Scalar();
}

std::optional<bool> read_bool(Diagnostics& d, const Entry& e, std::string_view what) {
  if (e.value.IsScalar()) {
    const std::string& s = e.value.Scalar();
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
  }
  d.error(e.value.IsNull() ? e.key : e.value, "'" + std::string(what) + "' must be true or false");
  return std::nullopt;
}

std::optional<uint64_t> read_uint(Diagnostics& d, const Entry& e, std::string_view what, uint64_t min, uint64_t max) {
  std::optional<uint64_t> v;
  if (e.value.IsScalar()) v = parse_u64(e.value.Scalar());
  if (!v || *v < min || *v > max) {
    d.error(e.value.IsNull() ? e.key : e.value, "'" + std::string(what) + "' must be an integer from " +
                                                    std::to_string(min) + " to " + std::to_string(max));
    return std::nullopt;
  }
  return v;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view s) {
  size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
  if (digits == 0) return std::nullopt;
  auto n = parse_u64(s.substr(0, digits));
  if (!n) return std::nullopt;
  std::string_view unit = s.substr(digits);
  uint64_t mult;
  if (unit.empty() || unit == "ms") mult = 1;
  else if (unit == "s") mult = 1000;
  else if (unit == "m") mult = 60'000;
  else if (unit == "h") mult = 3'600'000;
  else return std::nullopt;
  if (*n > std::numeric_limits<int64_t>::max() / 3'600'000) return std::nullopt;
  return std::chrono::milliseconds(int64_t(*n * mult));
}

std::optional<uint64_t> parse_size(std::string_view s) {
  size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
  if (digits == 0) return std::nullopt;
  auto n = parse_u64(s.substr(0, digits));
  if (!n) return std::nullopt;
  std::string_view unit = s.substr(digits);
  uint64_t mult;
  if (unit.empty()) mult = 1;
  else if (unit == "KiB") mult = 1ull << 10;
  else if (unit == "MiB") mult = 1ull << 20;
  else if (unit == "GiB") mult = 1ull << 30;
  else return std::nullopt;
  if (*n > std::numeric_limits<uint64_t>::max() / mult) return std::nullopt;
  return *n * mult;
}

std::optional<std::chrono::milliseconds> read_duration(Diagnostics& d, const Entry& e, std::string_view what) {
  std::optional<std::chrono::milliseconds> v;
  if (e.value.IsScalar()) v = parse_duration(e.value.Scalar());
  if (!v) {
    d.error(e.value.IsNull() ? e.key : e.value,
            "'" + std::string(what) +
                "' must be a duration such as \"250ms\", \"10s\", \"2m\", \"1h\" or an "
                "integer of milliseconds");
  }
  return v;
}

std::optional<uint64_t> read_size(Diagnostics& d, const Entry& e, std::string_view what) {
  std::optional<uint64_t> v;
  if (e.value.IsScalar()) v = parse_size(e.value.Scalar());
  if (!v) {
    d.error(e.value.IsNull() ? e.key : e.value,
            "'" + std::string(what) + "' must be a byte count such as 8192, \"64KiB\", \"10MiB\" or \"1GiB\"");
  }
  return v;
}

std::optional<std::string> read_secret_env(Diagnostics& d, const Entry& e, std::string_view what) {
  auto name = read_string(d, e, e.name);
  if (!name) return std::nullopt;
  const char* v = std::getenv(name->c_str());
  if (v == nullptr || *v == '\0') {
    d.error(e.value, "environment variable '" + *name + "' (" + std::string(what) + ") is not set");
    return std::nullopt;
  }
  return std::string(v);
}

std::optional<std::string> read_secret_file(Diagnostics& d, const Entry& e, const std::filesystem::path& project_abs,
                                            std::string_view what) {
  auto name = read_string(d, e, e.name);
  if (!name) return std::nullopt;
  std::filesystem::path p = std::filesystem::path(*name).is_absolute() ? std::filesystem::path(*name)
                                                                       : (project_abs / *name).lexically_normal();
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    d.error(e.value, "file '" + *name + "' (" + std::string(what) + ") cannot be read");
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string secret = ss.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (secret.empty()) {
    d.error(e.value, "file '" + *name + "' (" + std::string(what) + ") is empty");
    return std::nullopt;
  }
  return secret;
}

}  // namespace postern::config::detail
