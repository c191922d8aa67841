#pragma once
// Process logging (not the access log): spdlog to stderr, level from the CLI.
#include <spdlog/spdlog.h>

#include <string_view>

namespace postern::log {

// Sets up the default logger: "[time] [level] message" on stderr.
void init(std::string_view level);

using spdlog::debug;
using spdlog::error;
using spdlog::info;
using spdlog::warn;

}  // namespace postern::log
