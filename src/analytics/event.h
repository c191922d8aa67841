#pragma once
// One analytics event: what happened to one request (docs/analytics.md "Event schema").
// The fields are views into the request's own state; an event is serialized before that
// state changes, so nothing here is copied.
#include <cstdint>
#include <string_view>

namespace postern::analytics {

inline constexpr int kSchemaVersion = 1;

struct Event {
  int64_t unix_micros = 0;  // when the response completed
  std::string_view request_id;
  std::string_view trace_id;  // 32 hex digits
  std::string_view node;
  std::string_view api;
  std::string_view api_version;
  std::string_view base_path;
  std::string_view resource;  // path template
  std::string_view method;
  std::string_view app_id;
  std::string_view app_name;
  std::string_view consumer_key;
  std::string_view user;
  std::string_view key_type;  // "PRODUCTION", "SANDBOX" or ""
  std::string_view client_ip;
  std::string_view user_agent;
  int status = 0;
  int error_code = 0;             // 0 = none
  std::string_view error_source;  // "", auth, throttle, blocked, upstream, gateway, client
  std::string_view error_reason;
  std::string_view throttle_level;  // "" when not throttled
  bool cache_hit = false;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  uint64_t total_us = 0;
  uint64_t upstream_us = 0;
  std::string_view endpoint;
  // Keys added after the first release of schema 1 come last (the collector's columns too).
  std::string_view api_owner;  // x-wso2-owner of the API, "" when absent or no API matched
};

// A closed file the gateway deleted unsent because of the disk budget.
struct Gap {
  int64_t unix_micros = 0;
  std::string_view node;
  std::string_view lost_file_id;
  uint64_t lost_events = 0;
  std::string_view reason;  // "disk_budget"
};

}  // namespace postern::analytics
