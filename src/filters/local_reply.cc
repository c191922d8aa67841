#include "filters/local_reply.h"

namespace postern::filters {

const char* reply_reason_name(ReplyReason r) {
  switch (r) {
    case ReplyReason::kBadRequest: return "bad_request";
    case ReplyReason::kNotFound: return "not_found";
    case ReplyReason::kMethodNotAllowed: return "method_not_allowed";
    case ReplyReason::kTooLarge: return "too_large";
    case ReplyReason::kTimeout: return "timeout";
    case ReplyReason::kNotImplemented: return "not_implemented";
    case ReplyReason::kUnauthorized: return "unauthorized";
    case ReplyReason::kForbidden: return "forbidden";
    case ReplyReason::kThrottled: return "throttled";
    case ReplyReason::kBlocked: return "blocked";
    case ReplyReason::kUnavailable: return "unavailable";
    case ReplyReason::kInternal: return "internal";
    case ReplyReason::kServed: return "served";
    case ReplyReason::kCount: break;
  }
  return "unknown";
}

const char* error_source_name(ErrorSource s) {
  switch (s) {
    case ErrorSource::kNone: return "";
    case ErrorSource::kAuth: return "auth";
    case ErrorSource::kThrottle: return "throttle";
    case ErrorSource::kBlocked: return "blocked";
    case ErrorSource::kGateway: return "gateway";
    case ErrorSource::kUpstream: return "upstream";
    case ErrorSource::kClient: return "client";
  }
  return "";
}

LocalReply error_reply(int status, int code, std::string_view message, std::string_view description, ReplyReason metric,
                       ErrorSource source, std::string_view log_reason) {
  LocalReply r;
  r.status = status;
  r.code = code;
  r.message = message;
  r.description = description;
  r.metric = metric;
  r.source = source;
  r.log_reason = log_reason;
  return r;
}

}  // namespace postern::filters
