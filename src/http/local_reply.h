#pragma once
// Replies the gateway writes itself. Errors are JSON (design.md "Life of a request"):
//   {"code": <int>, "message": "...", "description": "..."}
// `code` is the WSO2-compatible code where one exists, else the HTTP status. A filter may
// also answer with any other response (a CORS preflight, a cached body): then
// `content_type` is set and `body` is sent as it is.
#include <string>
#include <string_view>

namespace postern::http {

const char* reason_phrase(int status);

struct LocalReply {
  int status = 500;
  int code = 500;
  std::string_view message;        // short, stable ("Not Found")
  std::string_view description;    // what happened and, where useful, what to do
  std::string_view extra_headers;  // preformatted "Name: value\r\n" lines (e.g. Allow)
  std::string_view more_headers;   // more such lines (filters' response headers)
  std::string_view content_type;   // set: `body` is the reply's body, not the JSON error
  std::string_view body;
};

// Appends a complete HTTP/1.1 response to `out`. `keep_alive` false adds Connection: close;
// `head_only` omits the body (HEAD requests) but keeps its Content-Length.
void append_local_reply(std::string& out, const LocalReply& reply, bool keep_alive, std::string_view request_id,
                        bool head_only);

// The JSON error body alone: {"code":…,"message":"…","description":"…"}.
void append_json_error(std::string& body, const LocalReply& reply);

}  // namespace postern::http
