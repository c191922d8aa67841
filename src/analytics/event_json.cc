#include "analytics/event_json.h"

#include "core/strings.h"

namespace postern::analytics {

namespace {

void field(std::string& out, std::string_view key, std::string_view value) {
  out += ",\"";
  out.append(key);
  out += "\":\"";
  append_json_escaped(out, value);
  out += '"';
}

void field(std::string& out, std::string_view key, uint64_t value) {
  out += ",\"";
  out.append(key);
  out += "\":";
  append_decimal(out, value);
}

void field_bool(std::string& out, std::string_view key, bool value) {
  out += ",\"";
  out.append(key);
  out += value ? "\":true" : "\":false";
}

// The keys every record starts with.
void head(std::string& out, std::string_view type, int64_t unix_micros) {
  out += "{\"schema\":";
  append_decimal(out, uint64_t(kSchemaVersion));
  out += ",\"type\":\"";
  out.append(type);
  out += "\",\"time\":\"";
  append_iso8601_micros(out, unix_micros);
  out += '"';
  field(out, "ts_us", uint64_t(unix_micros < 0 ? 0 : unix_micros));
}

}  // namespace

void append_event_json(std::string& out, const Event& e) {
  head(out, "request", e.unix_micros);
  field(out, "request_id", e.request_id);
  field(out, "trace_id", e.trace_id);
  field(out, "node", e.node);
  field(out, "api", e.api);
  field(out, "api_version", e.api_version);
  field(out, "base_path", e.base_path);
  field(out, "resource", e.resource);
  field(out, "method", e.method);
  field(out, "app_id", e.app_id);
  field(out, "app_name", e.app_name);
  field(out, "consumer_key", e.consumer_key);
  field(out, "user", e.user);
  field(out, "key_type", e.key_type);
  field(out, "client_ip", e.client_ip);
  field(out, "user_agent", e.user_agent);
  field(out, "status", uint64_t(e.status < 0 ? 0 : e.status));
  field(out, "error_code", uint64_t(e.error_code < 0 ? 0 : e.error_code));
  field(out, "error_source", e.error_source);
  field(out, "error_reason", e.error_reason);
  field_bool(out, "throttled", !e.throttle_level.empty());
  field(out, "throttle_level", e.throttle_level);
  field_bool(out, "cache_hit", e.cache_hit);
  field(out, "bytes_in", e.bytes_in);
  field(out, "bytes_out", e.bytes_out);
  field(out, "total_us", e.total_us);
  field(out, "upstream_us", e.upstream_us);
  field(out, "gateway_us", e.total_us > e.upstream_us ? e.total_us - e.upstream_us : 0);
  field(out, "endpoint", e.endpoint);
  field(out, "api_owner", e.api_owner);
  out += "}\n";
}

void append_gap_json(std::string& out, const Gap& g) {
  head(out, "gap", g.unix_micros);
  field(out, "node", g.node);
  field(out, "lost_file_id", g.lost_file_id);
  field(out, "lost_events", g.lost_events);
  field(out, "reason", g.reason);
  out += "}\n";
}

}  // namespace postern::analytics
