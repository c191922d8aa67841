#include "server/request_record.h"

namespace postern::server {
namespace {

// The quota a WSO2 throttling code names.
std::string_view throttle_level_for(int code) {
  switch (code) {
    case 900800: return "api";
    case 900802: return "resource";
    case 900803: return "application";
    case 900804: return "subscription";
    default: return {};
  }
}

}  // namespace

AccessLogEntry access_log_entry(const RequestRecord& r, std::string& api) {
  AccessLogEntry e;
  e.unix_micros = r.unix_micros;
  e.request_id = r.request_id;
  e.trace_id = r.trace_id;
  e.client_ip = r.client_ip;
  e.method = r.method;
  e.path = r.path;
  if (r.route != nullptr && r.route->api != nullptr) {
    api = r.route->api->name + ":" + r.route->api->version;
    e.api = api;
    e.route = r.route->full_template;
  }
  e.status = r.status;
  e.bytes_in = r.bytes_in;
  e.bytes_out = r.bytes_out;
  e.duration_us = r.total_us;
  e.upstream_us = r.upstream_us;
  e.endpoint = r.endpoint;
  e.reason = r.error_reason;
  return e;
}

analytics::Event analytics_event(const RequestRecord& r) {
  analytics::Event e;
  e.unix_micros = r.unix_micros;
  e.request_id = r.request_id;
  e.trace_id = r.trace_id;
  e.node = r.node;
  if (r.route != nullptr && r.route->api != nullptr) {
    const config::Api& api = *r.route->api;
    e.api = api.name;
    e.api_version = api.version;
    e.api_owner = api.owner;
    e.base_path = api.base_path;
    e.resource = r.route->resource_path;
  }
  e.method = r.method;
  if (const filters::Identity* id = r.identity) {
    e.app_id = id->application_id;
    e.app_name = id->application_name;
    e.consumer_key = id->consumer_key;
    e.user = id->subject;
    e.key_type = id->sandbox ? "SANDBOX" : "PRODUCTION";
  }
  e.client_ip = r.client_ip;
  e.user_agent = r.user_agent;
  e.status = r.status;
  e.error_code = r.error_code;
  e.error_source = filters::error_source_name(r.error_source);
  e.error_reason = r.error_reason;
  if (r.error_source == filters::ErrorSource::kThrottle) e.throttle_level = throttle_level_for(r.error_code);
  e.bytes_in = r.bytes_in;
  e.bytes_out = r.bytes_out;
  e.total_us = r.total_us;
  e.upstream_us = r.upstream_us;
  e.endpoint = r.endpoint;
  return e;
}

}  // namespace postern::server
