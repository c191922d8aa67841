#include "core/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace postern::log {

void init(std::string_view level) {
  auto logger = spdlog::stderr_color_mt("postern");
  logger->set_pattern("[%Y-%m-%dT%H:%M:%S.%e] [%^%l%$] %v");
  logger->set_level(spdlog::level::from_str(std::string(level)));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace postern::log
