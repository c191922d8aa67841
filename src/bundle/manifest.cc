#include "bundle/manifest.h"

#include <charconv>
#include <limits>

#include "bundle/limits.h"
#include "bundle/path_rules.h"

namespace postern::bundle {

namespace {

constexpr uint64_t kMaxSequence = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

bool parse_decimal(std::string_view s, uint64_t max, uint64_t& out) {
  if (s.empty() || s.size() > 19 || (s.size() > 1 && s.front() == '0')) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size() && out <= max;
}

bool is_hex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool is_version(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '+' ||
              c == '-';
    if (!ok) return false;
  }
  return true;
}

// Splits `text` into lines; false unless every line ends with LF.
bool split_lines(std::string_view text, std::vector<std::string_view>& lines) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    if (nl == std::string_view::npos) return false;
    lines.push_back(text.substr(0, nl));
    text.remove_prefix(nl + 1);
  }
  return true;
}

Status line_error(size_t index, std::string_view why) {
  return Status::error("MANIFEST line " + std::to_string(index + 1) + ": " + std::string(why));
}

// "file <sha256> <size> <path>"
Status parse_file_line(std::string_view line, size_t index, ManifestEntry& out) {
  if (!line.starts_with("file ")) return line_error(index, "expected 'file <sha256> <size> <path>'");
  line.remove_prefix(5);
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return line_error(index, "expected 'file <sha256> <size> <path>'");
  std::string_view hex = line.substr(0, sp1), size = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view path = line.substr(sp2 + 1);
  if (!is_hex64(hex)) return line_error(index, "the SHA-256 is not 64 lower-case hex digits");
  if (!parse_decimal(size, kMaxFileBytes, out.size)) return line_error(index, "bad or too large file size");
  if (Status s = check_bundle_path(path); !s) return line_error(index, s.message());
  out.sha256 = std::string(hex);
  out.path = std::string(path);
  return {};
}

}  // namespace

std::string render_manifest(const Manifest& m) {
  std::string out = "postern-bundle " + std::to_string(m.format) + "\n";
  out += "postern-version " + m.postern_version + "\n";
  out += "sequence " + std::to_string(m.sequence) + "\n";
  for (const ManifestEntry& f : m.files) {
    out += "file " + f.sha256 + " " + std::to_string(f.size) + " " + f.path + "\n";
  }
  return out;
}

Status parse_manifest(std::string_view text, Manifest& out) {
  out = Manifest{};
  if (text.size() > kMaxManifestBytes) return Status::error("MANIFEST is larger than the limit");
  std::vector<std::string_view> lines;
  if (!split_lines(text, lines)) return Status::error("MANIFEST does not end with a newline");
  if (lines.size() < 3) return Status::error("MANIFEST is truncated");
  if (lines[0] != "postern-bundle " + std::to_string(kFormatVersion)) {
    return line_error(0, "expected 'postern-bundle " + std::to_string(kFormatVersion) +
                             "' (a bundle of another format version, or not a manifest)");
  }
  out.format = kFormatVersion;
  if (!lines[1].starts_with("postern-version ") || !is_version(lines[1].substr(16))) {
    return line_error(1, "expected 'postern-version <version>'");
  }
  out.postern_version = std::string(lines[1].substr(16));
  if (!lines[2].starts_with("sequence ") || !parse_decimal(lines[2].substr(9), kMaxSequence, out.sequence)) {
    return line_error(2, "expected 'sequence <0..9223372036854775807>'");
  }
  if (lines.size() - 3 > kMaxFiles) return Status::error("MANIFEST lists more than the file limit");
  for (size_t i = 3; i < lines.size(); ++i) {
    ManifestEntry e;
    if (Status s = parse_file_line(lines[i], i, e); !s) return s;
    if (!out.files.empty() && e.path <= out.files.back().path) {
      return line_error(i, "paths must be sorted and unique ('" + e.path + "' after '" + out.files.back().path + "')");
    }
    out.files.push_back(std::move(e));
  }
  return {};
}

}  // namespace postern::bundle
