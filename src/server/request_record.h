#pragma once
// A finished request, described once: the access-log line and the analytics event are both
// written from it, so they always agree (the same client address, latency, outcome).
#include <cstdint>
#include <string>
#include <string_view>

#include "analytics/event.h"
#include "config/snapshot.h"
#include "filters/identity.h"
#include "filters/local_reply.h"
#include "server/access_log.h"

namespace postern::server {

struct RequestRecord {
  int64_t unix_micros = 0;  // when the response completed
  std::string_view request_id;
  std::string_view trace_id;
  std::string_view node;
  std::string_view client_ip;  // the caller (behind trusted proxies: the forwarded client)
  std::string_view method;
  std::string_view path;  // normalized
  std::string_view user_agent;
  const config::Route* route = nullptr;         // null: not routed
  const filters::Identity* identity = nullptr;  // null: not authenticated
  int status = 0;
  int error_code = 0;
  filters::ErrorSource error_source = filters::ErrorSource::kNone;
  std::string_view error_reason;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  uint64_t total_us = 0;
  uint64_t upstream_us = 0;
  std::string_view endpoint;
};

// `api` is storage for the entry's "name:version".
AccessLogEntry access_log_entry(const RequestRecord& r, std::string& api);
analytics::Event analytics_event(const RequestRecord& r);

}  // namespace postern::server
