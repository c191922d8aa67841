#pragma once
// Changes a filter asks for on a message the gateway forwards: headers to drop (by name,
// case-insensitive) and header lines to add. "Replace" is a drop plus an add, so a
// client's copy of a header the gateway sets is never forwarded next to the gateway's.
#include <string>
#include <string_view>
#include <vector>

namespace postern::http {

class HeaderEdits {
 public:
  // Adds a header line (after every forwarded header).
  void add(std::string_view name, std::string_view value);
  // Drops every header of this name from the forwarded message.
  void remove(std::string_view name);
  // Both: the message carries exactly this value.
  void set(std::string_view name, std::string_view value) {
    remove(name);
    add(name, value);
  }
  // Whether a forwarded header of this name is dropped.
  bool removes(std::string_view name) const;
  // Whether a header of this name was added.
  bool adds(std::string_view name) const;
  // The added lines, "Name: value\r\n" each.
  const std::string& added() const { return added_; }
  bool empty() const { return added_.empty() && removed_.empty(); }
  void clear() {
    added_.clear();
    removed_.clear();
  }

 private:
  std::string added_;
  std::vector<std::string> removed_;  // lower-case
};

}  // namespace postern::http
