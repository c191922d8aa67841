#pragma once
// Builds a JSON object member by member (the key manager's responses and token claims).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/strings.h"

namespace postern::keymanager {

class JsonObject {
 public:
  JsonObject& add(std::string_view name, std::string_view value) {
    key(name);
    quoted(value);
    return *this;
  }
  JsonObject& add(std::string_view name, const char* value) { return add(name, std::string_view(value)); }
  JsonObject& add(std::string_view name, int64_t value) {
    key(name);
    text_ += std::to_string(value);
    return *this;
  }
  JsonObject& add(std::string_view name, bool value) {
    key(name);
    text_ += value ? "true" : "false";
    return *this;
  }
  JsonObject& add_strings(std::string_view name, const std::vector<std::string>& values) {
    key(name);
    text_ += '[';
    for (size_t i = 0; i < values.size(); ++i) {
      if (i) text_ += ',';
      quoted(values[i]);
    }
    text_ += ']';
    return *this;
  }
  // `json` must be a complete JSON value.
  JsonObject& add_raw(std::string_view name, std::string_view json) {
    key(name);
    text_ += json;
    return *this;
  }
  std::string str() const { return text_ + '}'; }

 private:
  void key(std::string_view name) {
    if (text_.size() > 1) text_ += ',';
    quoted(name);
    text_ += ':';
  }
  void quoted(std::string_view s) {
    text_ += '"';
    append_json_escaped(text_, s);
    text_ += '"';
  }
  std::string text_ = "{";
};

}  // namespace postern::keymanager
