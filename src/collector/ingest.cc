#include "collector/ingest.h"

#include <simdjson.h>
#include <zlib.h>

#include <cstring>

namespace postern::collector {

bool valid_file_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-';
    if (!ok) return false;
  }
  return true;
}

DecodeError gunzip(std::string_view body, size_t max_size, std::string& out) {
  out.clear();
  if (body.empty()) return DecodeError::kBadGzip;
  z_stream zs{};
  // 16 + MAX_WBITS: gzip wrapper only (a raw zlib stream is not what the contract sends).
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return DecodeError::kBadGzip;
  // Bodies are bounded by --max-file-size long before 4 GiB, but avail_in is 32-bit: feed
  // large inputs in slices anyway so the bound is not an assumption here.
  size_t fed = 0;
  auto refill = [&] {
    if (zs.avail_in == 0 && fed < body.size()) {
      size_t n = std::min<size_t>(body.size() - fed, 1u << 30);
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data() + fed));
      zs.avail_in = static_cast<uInt>(n);
      fed += n;
    }
  };
  refill();
  DecodeError result = DecodeError::kNone;
  char chunk[64 * 1024];
  for (;;) {
    zs.next_out = reinterpret_cast<Bytef*>(chunk);
    zs.avail_out = sizeof chunk;
    int rc = inflate(&zs, Z_NO_FLUSH);
    size_t produced = sizeof chunk - zs.avail_out;
    if (out.size() + produced > max_size) {
      result = DecodeError::kTooLarge;
      break;
    }
    out.append(chunk, produced);
    if (rc == Z_STREAM_END) {
      refill();
      if (zs.avail_in == 0) break;  // the whole body was consumed: done
      // Another gzip member follows (gzip a b > c makes these): decode it too.
      if (inflateReset(&zs) != Z_OK) {
        result = DecodeError::kBadGzip;
        break;
      }
      continue;
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
      refill();
      if (zs.avail_in == 0) {  // input ended inside a member: truncated
        result = DecodeError::kBadGzip;
        break;
      }
      continue;
    }
    if (rc != Z_OK) {
      result = DecodeError::kBadGzip;
      break;
    }
    refill();
  }
  inflateEnd(&zs);
  if (result != DecodeError::kNone) out.clear();
  return result;
}

namespace {

using simdjson::dom::element_type;
using simdjson::dom::object;

// Reads the v1 keys of one object; the first missing or mistyped key is reported by name.
class Fields {
 public:
  explicit Fields(object obj) : obj_(obj) {}

  bool str(const char* key, std::string& out) {
    std::string_view v;
    if (obj_[key].get_string().get(v) != simdjson::SUCCESS) return fail(key, "a string");
    out.assign(v);
    // JSON allows "\u0000" but PostgreSQL text cannot hold NUL. Refusing the line would
    // let one client (a JWT subject with a NUL, say) make the gateway set a whole file
    // aside, so NUL is stored as U+FFFD in both databases instead.
    for (size_t i = out.find('\0'); i != std::string::npos; i = out.find('\0', i + 3))
      out.replace(i, 1, "\xEF\xBF\xBD");
    return true;
  }
  bool integer(const char* key, int64_t& out) {
    if (obj_[key].get_int64().get(out) != simdjson::SUCCESS) return fail(key, "an integer");
    return true;
  }
  // A key added to schema 1 after its first release: older gateways do not send it, so
  // absent means "" (present, it must still be a string).
  bool optional_str(const char* key, std::string& out) {
    if (obj_[key].error() == simdjson::NO_SUCH_FIELD) {
      out.clear();
      return true;
    }
    return str(key, out);
  }
  bool boolean(const char* key, bool& out) {
    if (obj_[key].get_bool().get(out) != simdjson::SUCCESS) return fail(key, "a boolean");
    return true;
  }
  const std::string& error() const { return error_; }

 private:
  bool fail(const char* key, const char* what) {
    error_ = obj_[key].error() == simdjson::NO_SUCH_FIELD ? std::string("missing key \"") + key + "\""
                                                          : std::string("\"") + key + "\" must be " + what;
    return false;
  }
  object obj_;
  std::string error_;
};

// A value from the network quoted in an error message (which is also logged): at most 40
// printable ASCII characters, anything else as '?'.
std::string printable(std::string_view v) {
  std::string out;
  for (char c : v.substr(0, 40)) out += (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? c : '?';
  if (v.size() > 40) out += "...";
  return out;
}

bool read_request(Fields& f, RequestEvent& e) {
  return f.str("time", e.time) && f.integer("ts_us", e.ts_us) && f.str("request_id", e.request_id) &&
         f.str("trace_id", e.trace_id) && f.str("node", e.node) && f.str("api", e.api) &&
         f.str("api_version", e.api_version) && f.str("base_path", e.base_path) && f.str("resource", e.resource) &&
         f.str("method", e.method) && f.str("app_id", e.app_id) && f.str("app_name", e.app_name) &&
         f.str("consumer_key", e.consumer_key) && f.str("user", e.user) && f.str("key_type", e.key_type) &&
         f.str("client_ip", e.client_ip) && f.str("user_agent", e.user_agent) && f.integer("status", e.status) &&
         f.integer("error_code", e.error_code) && f.str("error_source", e.error_source) &&
         f.str("error_reason", e.error_reason) && f.boolean("throttled", e.throttled) &&
         f.str("throttle_level", e.throttle_level) && f.boolean("cache_hit", e.cache_hit) &&
         f.integer("bytes_in", e.bytes_in) && f.integer("bytes_out", e.bytes_out) &&
         f.integer("total_us", e.total_us) && f.integer("upstream_us", e.upstream_us) &&
         f.integer("gateway_us", e.gateway_us) && f.str("endpoint", e.endpoint) &&
         f.optional_str("api_owner", e.api_owner);
}

bool read_gap(Fields& f, GapEvent& g) {
  return f.str("time", g.time) && f.integer("ts_us", g.ts_us) && f.str("node", g.node) &&
         f.str("lost_file_id", g.lost_file_id) && f.integer("lost_events", g.lost_events) && f.str("reason", g.reason);
}

}  // namespace

std::optional<ParseError> parse_event_lines(std::string_view text, std::optional<int64_t> expected_lines,
                                            EventFile& file) {
  file.requests.clear();
  file.gaps.clear();
  file.lines = 0;
  auto fail = [&](std::string message, int64_t line) {
    file.requests.clear();
    file.gaps.clear();
    file.lines = 0;
    return ParseError{std::move(message), line};
  };
  simdjson::dom::parser parser;
  int64_t line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    ++line_no;
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) return fail("the last line does not end with a newline", line_no);
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    simdjson::dom::element root;
    // realloc_if_needed: the line is a slice of a larger buffer, so simdjson copies it into
    // its own padded buffer rather than reading past the slice.
    if (parser.parse(line.data(), line.size(), true).get(root) != simdjson::SUCCESS)
      return fail("not valid JSON", line_no);
    object obj;
    if (root.get_object().get(obj) != simdjson::SUCCESS) return fail("not a JSON object", line_no);
    int64_t schema = 0;
    auto schema_field = obj["schema"];
    if (schema_field.error() == simdjson::NO_SUCH_FIELD) return fail("missing key \"schema\"", line_no);
    if (schema_field.get_int64().get(schema) != simdjson::SUCCESS)
      return fail("\"schema\" must be an integer", line_no);
    if (schema != 1) return fail("unsupported schema " + std::to_string(schema) + " (this collector reads 1)", line_no);
    std::string_view type;
    auto type_field = obj["type"];
    if (type_field.error() == simdjson::NO_SUCH_FIELD) return fail("missing key \"type\"", line_no);
    if (type_field.get_string().get(type) != simdjson::SUCCESS) return fail("\"type\" must be a string", line_no);
    Fields fields(obj);
    if (type == "request") {
      RequestEvent& e = file.requests.emplace_back();
      if (!read_request(fields, e)) return fail(fields.error(), line_no);
    } else if (type == "gap") {
      GapEvent& g = file.gaps.emplace_back();
      if (!read_gap(fields, g)) return fail(fields.error(), line_no);
    } else {
      // Schema 1 defines two types; storing nothing for a third would silently lose it.
      return fail("unknown type \"" + printable(type) + "\"", line_no);
    }
  }
  if (expected_lines && *expected_lines != line_no) {
    return fail("X-Postern-Events says " + std::to_string(*expected_lines) + " but the file has " +
                    std::to_string(line_no) + " lines",
                0);
  }
  file.lines = line_no;
  return std::nullopt;
}

}  // namespace postern::collector
