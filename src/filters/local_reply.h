#pragma once
// A response the gateway gives itself instead of forwarding: an error (JSON with a WSO2
// code) or any other response a filter makes (a CORS preflight, a cached body). Each one
// says why it was given, for metrics (`metric`), for the analytics event (`source`) and
// for the access log (`log_reason`), so nothing downstream guesses that from the status.
#include <cstdint>
#include <string>
#include <string_view>

namespace postern::filters {

// The metric label of a local reply (postern_local_replies_total{reason=…}).
enum class ReplyReason : uint8_t {
  kBadRequest,        // 400 family: smuggling, bad path, malformed head; 502/504 upstream
  kNotFound,          // 404
  kMethodNotAllowed,  // 405
  kTooLarge,          // 413/414/431
  kTimeout,           // 408 (header timeout)
  kNotImplemented,    // 501 (upgrade, unknown method)
  kUnauthorized,      // 401: missing, invalid or expired credentials
  kForbidden,         // 403: scope, subscription
  kThrottled,         // 429: a quota is used up
  kBlocked,           // 403 / 900805: a blocking condition
  kUnavailable,       // 503: key manager or fail-closed rate-limit store unreachable
  kInternal,          // 500: the gateway failed (e.g. signing the backend JWT)
  kServed,            // a filter answered the request itself (not an error)
  kCount
};
const char* reply_reason_name(ReplyReason r);

// Which part of the system a failed request is blamed on (analytics `error_source`).
enum class ErrorSource : uint8_t { kNone, kAuth, kThrottle, kBlocked, kGateway, kUpstream, kClient };
const char* error_source_name(ErrorSource s);  // "" for kNone

struct LocalReply {
  int status = 0;
  int code = 0;         // WSO2 error code, or the status; 0 for a reply that is no error
  std::string message;  // the JSON error's fields
  std::string description;
  std::string headers;       // "Name: value\r\n" lines (WWW-Authenticate, Retry-After …)
  std::string content_type;  // set: `body` is sent as it is instead of the JSON error
  std::string body;
  std::string_view log_reason;  // short and stable; access log and analytics only
  ReplyReason metric = ReplyReason::kBadRequest;
  ErrorSource source = ErrorSource::kGateway;
  // Whether the connection may serve another request after it.
  bool keep_alive = true;
};

// A JSON error reply.
LocalReply error_reply(int status, int code, std::string_view message, std::string_view description, ReplyReason metric,
                       ErrorSource source, std::string_view log_reason = {});

}  // namespace postern::filters
