#pragma once
// Events as JSON Lines (schema version 1, docs/analytics.md): one object per line, every
// key always present, keys in a fixed order.
#include <string>

#include "analytics/event.h"

namespace postern::analytics {

// Appends one line (ending in '\n') to `out`.
void append_event_json(std::string& out, const Event& e);
void append_gap_json(std::string& out, const Gap& g);

// "2026-11-26T09:31:30.123456Z"
void append_iso8601_micros(std::string& out, int64_t unix_micros);

}  // namespace postern::analytics
