#pragma once
// Error values that cross module boundaries without exceptions (the data plane never throws).
#include <string>
#include <utility>

namespace postern {

// The result of an operation that can fail with a human-readable reason.
class Status {
 public:
  Status() = default;  // ok
  static Status error(std::string message) { return Status(std::move(message)); }

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const std::string& message() const { return message_; }

 private:
  explicit Status(std::string message) : failed_(true), message_(std::move(message)) {}
  bool failed_ = false;
  std::string message_;
};

}  // namespace postern
