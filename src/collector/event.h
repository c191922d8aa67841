#pragma once
// Analytics events as the collector stores them: schema v1 of
// docs/analytics.md. Strings are UTF-8, already
// unescaped from JSON; they came from the network and are escaped again wherever they are
// shown (HTML, JSON).
#include <cstdint>
#include <string>
#include <vector>

namespace postern::collector {

// type "request": one call the gateway served or refused.
struct RequestEvent {
  std::string time;   // ISO-8601 UTC with microseconds, as the gateway wrote it
  int64_t ts_us = 0;  // the same instant, unix microseconds (what reports use)
  std::string request_id;
  std::string trace_id;
  std::string node;
  std::string api;  // "" when no API matched
  std::string api_version;
  std::string base_path;
  std::string resource;  // path template, "" when no route matched
  std::string method;
  std::string app_id;  // "" when anonymous
  std::string app_name;
  std::string consumer_key;
  std::string user;
  std::string key_type;  // "PRODUCTION" | "SANDBOX" | ""
  std::string client_ip;
  std::string user_agent;
  int64_t status = 0;        // 499 = the client went away first
  int64_t error_code = 0;    // 0 = none
  std::string error_source;  // "" | auth | throttle | blocked | upstream | gateway | client
  std::string error_reason;
  bool throttled = false;
  std::string throttle_level;  // "" | api | resource | subscription | application
  bool cache_hit = false;
  int64_t bytes_in = 0;
  int64_t bytes_out = 0;
  int64_t total_us = 0;
  int64_t upstream_us = 0;
  int64_t gateway_us = 0;
  std::string endpoint;
  // Keys added to schema 1 later come last, and may be missing (files from older gateways).
  std::string api_owner;  // x-wso2-owner of the API; "" when absent from the event
};

// type "gap": the gateway deleted a closed file unsent (its disk budget); those events are
// lost and reports say so.
struct GapEvent {
  std::string time;
  int64_t ts_us = 0;
  std::string node;
  std::string lost_file_id;
  int64_t lost_events = 0;
  std::string reason;  // "disk_budget"
};

// One uploaded file, parsed and validated: what one ingest transaction stores.
struct EventFile {
  std::string file_id;
  std::string node;   // X-Postern-Node, else the first event's node
  int64_t lines = 0;  // events in the file (requests + gaps): the `events` answered
  std::vector<RequestEvent> requests;
  std::vector<GapEvent> gaps;
};

// What a report reads back: the request fields it aggregates (a streamed scan fills one
// of these per row, reusing its strings).
struct ScannedRequest {
  int64_t ts_us = 0;
  std::string api, api_version, method, resource;
  std::string api_owner;
  std::string app_id, app_name, user;
  int64_t status = 0;
  std::string error_source, error_reason;
  bool throttled = false;
  std::string throttle_level;
  int64_t bytes_in = 0, bytes_out = 0;
  int64_t total_us = 0;
};

}  // namespace postern::collector
