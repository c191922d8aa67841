#pragma once
// Builds schema-v1 event lines for tests: every key present, with overrides and removals.
#include <map>
#include <string>
#include <vector>

namespace postern::collector::test {

// key -> raw JSON value, in a stable order.
using Fields = std::vector<std::pair<std::string, std::string>>;

inline Fields request_fields() {
  return {{"schema", "1"},
          {"type", "\"request\""},
          {"time", "\"2026-11-26T09:31:30.123456Z\""},
          {"ts_us", "1795685490123456"},
          {"request_id", "\"r1\""},
          {"trace_id", "\"0af7651916cd43dd8448eb211c80319c\""},
          {"node", "\"n1\""},
          {"api", "\"pets\""},
          {"api_version", "\"1.0.0\""},
          {"base_path", "\"/pets/v1\""},
          {"resource", "\"/items/{id}\""},
          {"method", "\"GET\""},
          {"app_id", "\"7\""},
          {"app_name", "\"Shop\""},
          {"consumer_key", "\"ck\""},
          {"user", "\"alice\""},
          {"key_type", "\"PRODUCTION\""},
          {"client_ip", "\"127.0.0.1\""},
          {"user_agent", "\"curl/7.88\""},
          {"status", "200"},
          {"error_code", "0"},
          {"error_source", "\"\""},
          {"error_reason", "\"\""},
          {"throttled", "false"},
          {"throttle_level", "\"\""},
          {"cache_hit", "false"},
          {"bytes_in", "0"},
          {"bytes_out", "12"},
          {"total_us", "1500"},
          {"upstream_us", "1000"},
          {"gateway_us", "500"},
          {"endpoint", "\"http://127.0.0.1:8080\""},
          {"api_owner", "\"alice\""}};
}

// A line as a gateway from before api_owner writes it.
inline Fields old_request_fields() {
  Fields f = request_fields();
  std::erase_if(f, [](const auto& kv) { return kv.first == "api_owner"; });
  return f;
}

inline Fields gap_fields() {
  return {{"schema", "1"},
          {"type", "\"gap\""},
          {"time", "\"2026-11-26T09:31:30.000000Z\""},
          {"ts_us", "1795685490000000"},
          {"node", "\"n1\""},
          {"lost_file_id", "\"n1-20261126T090000Z-00aa\""},
          {"lost_events", "42"},
          {"reason", "\"disk_budget\""}};
}

inline Fields with(Fields f, const std::string& key, const std::string& raw) {
  for (auto& kv : f)
    if (kv.first == key) {
      kv.second = raw;
      return f;
    }
  f.emplace_back(key, raw);
  return f;
}

inline Fields without(Fields f, const std::string& key) {
  std::erase_if(f, [&](const auto& kv) { return kv.first == key; });
  return f;
}

inline std::string line(const Fields& f) {
  std::string s = "{";
  for (const auto& [k, v] : f) {
    if (s.size() > 1) s += ",";
    s += "\"" + k + "\":" + v;
  }
  return s + "}\n";
}

inline std::string str(const std::string& s) { return "\"" + s + "\""; }

}  // namespace postern::collector::test
