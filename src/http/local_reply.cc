#include "http/local_reply.h"

#include <fmt/format.h>

#include "core/strings.h"

namespace postern::http {

const char* reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 417: return "Expectation Failed";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

void append_local_reply(std::string& out, const LocalReply& reply, bool keep_alive, std::string_view request_id,
                        bool head_only) {
  thread_local std::string json;
  std::string_view body = reply.body;
  std::string_view content_type = reply.content_type;
  if (content_type.empty()) {
    content_type = "application/json";
    json.clear();
    append_json_error(json, reply);
    body = json;
  }
  fmt::format_to(std::back_inserter(out), "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n", reply.status,
                 reason_phrase(reply.status), content_type, body.size());
  if (!request_id.empty()) {
    out += "X-Request-ID: ";
    out += request_id;
    out += "\r\n";
  }
  out += reply.extra_headers;
  out += reply.more_headers;
  if (!keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
  if (!head_only) out += body;
}

void append_json_error(std::string& body, const LocalReply& reply) {
  body += "{\"code\":";
  fmt::format_to(std::back_inserter(body), "{}", reply.code);
  body += ",\"message\":\"";
  append_json_escaped(body, reply.message);
  body += "\",\"description\":\"";
  append_json_escaped(body, reply.description);
  body += "\"}";
}

}  // namespace postern::http
