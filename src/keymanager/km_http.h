#pragma once
// One HTTP request and answer of the key manager, independent of the HTTP library, so the
// endpoints are functions a unit test can call without sockets.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace postern::keymanager {

struct KmRequest {
  std::string method;                                        // "POST"
  std::string path;                                          // without the query
  std::string query;                                         // without '?'
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;
  std::string client_ip;

  // The first header `name` (lower-case), "" when absent.
  std::string_view header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (k == name) return v;
    return {};
  }
};

struct KmResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type
};

// A JSON answer.
inline KmResponse json_response(int status, std::string body) {
  KmResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

}  // namespace postern::keymanager
