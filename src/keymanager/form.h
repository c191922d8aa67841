#pragma once
// application/x-www-form-urlencoded bodies (RFC 6749 §3.2 / Appendix B). A parameter sent
// twice makes the whole request invalid (RFC 6749 §3.2: "MUST NOT be included more than
// once"), so the parser reports it instead of picking one.
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace postern::keymanager {

class Form {
 public:
  // nullopt: not valid urlencoded text (bad %-escape), with `why`.
  static std::optional<Form> parse(std::string_view body, std::string& why);

  // The value of `name` ("" when absent or empty: OAuth treats both as missing).
  std::string_view get(std::string_view name) const;
  bool has(std::string_view name) const { return !get(name).empty(); }
  // The first parameter that was sent more than once, or "".
  const std::string& repeated() const { return repeated_; }

 private:
  std::map<std::string, std::string, std::less<>> values_;
  std::string repeated_;
};

// Percent-decoding with '+' as space (Appendix B), for form values and HTTP Basic
// credentials (RFC 6749 §2.3.1 encodes client ids and secrets that way). nullopt on a bad
// escape.
std::optional<std::string> form_decode(std::string_view in);

}  // namespace postern::keymanager
