#pragma once
// What a micro-gw.conf must be before toml11 parses it. toml11 (Debian's 3.7) is not safe
// on hostile input: it recurses once per nesting level, and it reads past its buffer on
// some strings holding control characters or broken UTF-8 (found by micro_gw_conf_fuzz).
// TOML forbids both anyway, so refusing them first costs a valid file nothing.
#include <string>
#include <string_view>

namespace postern::cli {

inline constexpr int kMaxTomlNesting = 32;

// "" when `text` may be handed to toml11, else the error ("FILE:LINE:COL: ..." where it
// has a place).
std::string toml_text_problem(std::string_view text, std::string_view file_name);

}  // namespace postern::cli
