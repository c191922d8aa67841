#include "http/forward_head.h"

#include "core/strings.h"
#include "http/local_reply.h"

namespace postern::http {
namespace {

void append_header(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out += ": ";
  out.append(value);
  out += "\r\n";
}

// The name of one `name=value` query parameter (the raw, still-encoded name).
std::string_view param_name(std::string_view kv) { return kv.substr(0, kv.find('=')); }

// True when the endpoint's own query has a parameter called `name`.
bool fixed_param(std::string_view endpoint_query, std::string_view name) {
  while (!endpoint_query.empty()) {
    size_t amp = endpoint_query.find('&');
    if (param_name(endpoint_query.substr(0, amp)) == name) return true;
    if (amp == std::string_view::npos) break;
    endpoint_query.remove_prefix(amp + 1);
  }
  return false;
}

// The request target for the backend: its base path, the path, then the query. An
// endpoint URL with a query of its own (`http://b/v1?key=abc`) puts it first and keeps
// it fixed: a client parameter with the same name is dropped, so a client can neither
// override nor duplicate it (backends disagree on which of two values wins). The client's
// other parameters follow in their order, without the credential parameter (an API key
// in the query) when there is one.
void append_target(std::string& out, const UpstreamHead& in) {
  out += in.base_path;
  out.append(in.path);
  const RequestHead& req = in.request;
  char sep = '?';
  if (!in.base_query.empty()) {
    out += '?';
    out.append(in.base_query);
    sep = '&';
  }
  if (!req.has_query) return;
  if (in.strip_query_param.empty() && in.base_query.empty()) {
    out += '?';
    out.append(req.query);
    return;
  }
  std::string_view q = req.query;
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view kv = q.substr(0, amp);
    std::string_view name = param_name(kv);
    bool drop = kv.empty() || (!in.strip_query_param.empty() && name == in.strip_query_param) ||
                fixed_param(in.base_query, name);
    if (!drop) {
      out += sep;
      out.append(kv);
      sep = '&';
    }
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
}

}  // namespace

void build_upstream_head(std::string& out, const UpstreamHead& in) {
  const RequestHead& req = in.request;
  out.clear();
  out.append(req.method);
  out += ' ';
  append_target(out, in);
  out += " HTTP/1.1\r\nHost: ";
  out.append(in.host);
  out += "\r\n";
  std::string_view xff, xfp, xfh;
  const bool edited = !in.edits.empty();
  for (const auto& h : req.headers) {
    using K = HeaderKind;
    switch (h.kind) {
      case K::kOther: break;
      case K::kXForwardedFor: xff = h.value; continue;
      case K::kXForwardedHost: xfh = h.value; continue;
      case K::kXForwardedProto: xfp = h.value; continue;
      default: continue;  // hop-by-hop, or rebuilt below (Host, framing, Expect, request id, trace)
    }
    if (!req.connection.empty() && header_has_token(req.connection, h.name)) continue;
    if (edited && in.edits.removes(h.name)) continue;
    append_header(out, h.name, h.value);
  }
  out += "X-Forwarded-For: ";
  if (in.trusted_peer && !xff.empty()) {
    out.append(xff);
    out += ", ";
  }
  out.append(in.peer_ip);
  out += "\r\nX-Forwarded-Proto: ";
  if (in.trusted_peer && !xfp.empty()) out.append(xfp);
  else out += in.tls ? "https" : "http";
  out += "\r\nX-Forwarded-Host: ";
  if (in.trusted_peer && !xfh.empty()) out.append(xfh);
  else out.append(req.host);
  out += "\r\n";
  append_header(out, "X-Request-ID", in.request_id);
  append_header(out, "traceparent", in.traceparent);
  if (!in.tracestate.empty()) append_header(out, "tracestate", in.tracestate);
  out += in.edits.added();
  if (req.framing == BodyFraming::kContentLength) {
    out += "Content-Length: ";
    append_decimal(out, req.content_length);
    out += "\r\n";
  } else if (req.framing == BodyFraming::kChunked) {
    out += "Transfer-Encoding: chunked\r\n";
  }
  out += "\r\n";
}

void build_client_response_head(std::string& out, const ClientResponseHead& in) {
  const ResponseHead& resp = in.response;
  out.clear();
  out += "HTTP/1.1 ";
  append_decimal(out, uint64_t(in.status));
  out += ' ';
  if (in.status == resp.status && !resp.reason.empty()) out.append(resp.reason);
  else out += reason_phrase(in.status);
  out += "\r\n";
  bool has_request_id = false;
  const bool edited = !in.edits.empty();
  for (const auto& h : resp.headers) {
    if (is_hop_by_hop(h.kind)) continue;
    // Content-Length is kept for HEAD and 304 (it describes the body that was not sent)
    // and rebuilt otherwise.
    if (h.kind == HeaderKind::kContentLength && resp.framing != BodyFraming::kNone) continue;
    if (!resp.connection.empty() && header_has_token(resp.connection, h.name)) continue;
    if (edited && in.edits.removes(h.name)) continue;
    if (h.kind == HeaderKind::kXRequestId) has_request_id = true;
    append_header(out, h.name, h.value);
  }
  if (resp.framing == BodyFraming::kContentLength && in.length_known) {
    out += "Content-Length: ";
    append_decimal(out, resp.content_length);
    out += "\r\n";
  } else if (in.chunked) {
    out += "Transfer-Encoding: chunked\r\n";
  }
  if (!has_request_id) append_header(out, "X-Request-ID", in.request_id);
  out += in.edits.added();
  if (!in.keep_alive) out += "Connection: close\r\n";
  else if (in.client_version_minor == 0) out += "Connection: keep-alive\r\n";
  out += "\r\n";
}

}  // namespace postern::http
