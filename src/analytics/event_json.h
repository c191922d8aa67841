#pragma once
// Events as JSON Lines (schema version 1, docs/analytics.md): one object per line, every
// key always present, keys in a fixed order.
#include <string>

#include "analytics/event.h"

namespace postern::analytics {

// Appends one line (ending in '\n') to `out`.
void append_event_json(std::string& out, const Event& e);
void append_gap_json(std::string& out, const Gap& g);

}  // namespace postern::analytics
