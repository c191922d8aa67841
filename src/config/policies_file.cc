// WSO2 Microgateway 3.x `policies.yaml` at the project root: the throttling tiers of a
// migrated project, read unchanged (docs/throttling.md "policies.yaml").
//
//   resourcePolicies:            # → throttling.tiers.resource
//     - 10kPerMin: {count: 10000, unitTime: 1, timeUnit: min}
//   applicationPolicies: [...]   # → throttling.tiers.application
//   subscriptionPolicies: [...]  # → throttling.tiers.subscription
#include "config/internal.h"

namespace postern::config::detail {

namespace {

// WSO2's time units (APIM writes min/hours/days; singular and "sec" forms are accepted too).
std::optional<int64_t> unit_ms(std::string_view u) {
  if (u == "sec" || u == "second" || u == "seconds" || u == "s") return 1'000;
  if (u == "min" || u == "minute" || u == "minutes" || u == "m") return 60'000;
  if (u == "hour" || u == "hours" || u == "h") return 3'600'000;
  if (u == "day" || u == "days" || u == "d") return 86'400'000;
  return std::nullopt;
}

// KB/MB/GB as binary multiples (1 KB = 1024 bytes).
std::optional<uint64_t> data_unit(std::string_view u) {
  if (u == "B") return 1;
  if (u == "KB" || u == "KiB") return uint64_t(1) << 10;
  if (u == "MB" || u == "MiB") return uint64_t(1) << 20;
  if (u == "GB" || u == "GiB") return uint64_t(1) << 30;
  return std::nullopt;
}

void read_window(Diagnostics& d, const MapReader& m, const YAML::Node& at, ThrottleTier& t) {
  uint64_t unit_time = 1;
  if (const Entry* f = m.get("unitTime")) {
    if (auto n = read_uint(d, *f, "unitTime", 1, 100'000)) unit_time = *n;
  }
  const Entry* tu = m.get("timeUnit");
  if (tu == nullptr) {
    if (!m.misspelled("timeUnit"))
      d.error(at, "policy '" + t.name + "' needs 'timeUnit' (sec, min, hour or day), e.g. {count: 100, unitTime: 1, "
                  "timeUnit: min}");
    return;
  }
  auto s = read_string(d, *tu, "timeUnit");
  if (!s) return;
  auto ms = unit_ms(*s);
  if (!ms) {
    bool calendar = s->starts_with("month") || s->starts_with("year");
    d.error(tu->value, "'timeUnit' " + *s + " is not supported; " +
                           (calendar ? std::string("months and years vary in length and Postern's windows are fixed, "
                                                   "so write it in days (e.g. unitTime: 30, timeUnit: day)")
                                     : std::string("use sec, min, hour or day")));
    return;
  }
  t.unit_ms = *ms * int64_t(unit_time);
}

void read_bandwidth(Diagnostics& d, const MapReader& m, const YAML::Node& at, ThrottleTier& t) {
  const Entry* amount = m.get("dataAmount");
  const Entry* unit = m.get("dataUnit");
  if (amount == nullptr && unit == nullptr) return;
  if (amount == nullptr || unit == nullptr) {
    d.error(at, "policy '" + t.name + "' needs both 'dataAmount' and 'dataUnit' (KB, MB or GB) for a bandwidth quota");
    return;
  }
  auto n = read_uint(d, *amount, "dataAmount", 1, uint64_t(1) << 40);
  auto u = read_string(d, *unit, "dataUnit");
  if (!n || !u) return;
  auto mult = data_unit(*u);
  if (!mult) {
    d.error(unit->value, "'dataUnit' must be KB, MB or GB (binary: 1 KB = 1024 bytes)");
    return;
  }
  t.bytes = *n * *mult;
}

// WSO2's spike arrest (rateLimitCount per rateLimitTimeUnit) is Postern's per-second burst.
void read_spike_arrest(Diagnostics& d, const MapReader& m, ThrottleTier& t) {
  const Entry* count = m.get("rateLimitCount");
  if (count == nullptr) return;
  auto n = read_uint(d, *count, "rateLimitCount", 1, uint64_t(1) << 40);
  std::string unit = "sec";
  if (const Entry* u = m.get("rateLimitTimeUnit")) {
    if (auto s = read_string(d, *u, "rateLimitTimeUnit")) unit = *s;
    if (unit != "sec" && unit != "second") {
      d.error(u->value, "'rateLimitTimeUnit' " + unit +
                            " is not supported; Postern's spike arrest (burst) is per second: write the limit "
                            "per sec");
      return;
    }
  }
  if (n) t.burst = *n;
}

void parse_policy(Diagnostics& d, const YAML::Node& name_node, const YAML::Node& body, std::string_view level,
                  ThrottleTier& t) {
  t.name = name_node.Scalar();
  t.source = d.location(name_node.Mark());
  MapReader m(d, body, "policy '" + t.name + "'",
              std::vector<std::string_view>{"count", "unitTime", "timeUnit", "dataAmount", "dataUnit",
                                            "stopOnQuotaReach", "rateLimitCount", "rateLimitTimeUnit",
                                            "description", "displayName"});
  if (!m.ok()) return;
  if (const Entry* f = m.get("count")) {
    if (auto n = read_uint(d, *f, "count", 1, uint64_t(1) << 40)) t.requests = *n;
  }
  read_window(d, m, name_node, t);
  read_bandwidth(d, m, name_node, t);
  read_spike_arrest(d, m, t);
  if (t.requests == 0 && t.bytes == 0 && !m.misspelled("count") && !m.get("count") && !m.get("dataAmount")) {
    d.error(name_node, "policy '" + t.name + "' limits nothing; give it 'count' (requests) or 'dataAmount' + "
                       "'dataUnit' (bandwidth)");
  }
  if (const Entry* f = m.get("stopOnQuotaReach")) {
    auto stop = read_bool(d, *f, "stopOnQuotaReach");
    if (stop && !*stop) {
      d.warn(f->key, "'stopOnQuotaReach: false' is not supported by Postern; WSO2 lets calls past the quota through "
                     "(only notifying), Postern refuses them with 429 like any " +
                         std::string(level) +
                         " tier; remove it, or raise the quota if calls past it must not be refused");
    }
  }
}

void parse_group(Diagnostics& d, const Entry& e, std::string_view level, TierMap& out) {
  if (!e.value.IsSequence()) {
    d.error(e.value.IsNull() ? e.key : e.value,
            "'" + e.name + "' must be a list of policies, e.g.\n  " + e.name +
                ":\n    - Gold:\n        count: 5000\n        unitTime: 1\n        timeUnit: min");
    return;
  }
  for (const auto& item : e.value) {
    if (!item.IsMap() || item.size() != 1 || !item.begin()->first.IsScalar()) {
      d.error(item, "each item of '" + e.name + "' must be a map with one key, the policy name: '- Gold: {count: "
                    "5000, unitTime: 1, timeUnit: min}'");
      continue;
    }
    auto it = item.begin();
    const std::string name = it->first.Scalar();
    if (name == "Unlimited") {
      d.warn(it->first, "'Unlimited' is built in (never counted), as in WSO2, so this definition is ignored; "
                        "remove it");
      continue;
    }
    if (auto prev = out.find(name); prev != out.end() && !prev->second.builtin) {
      d.error(it->first, "policy '" + name + "' is defined twice in '" + e.name + "' (first at " +
                             prev->second.source + ")");
      continue;
    }
    ThrottleTier t;
    parse_policy(d, it->first, it->second, level, t);
    out[name] = std::move(t);
  }
}

}  // namespace

void parse_policies_file(Diagnostics& d, const YAML::Node& root, ThrottlingConfig& out) {
  MapReader m(d, root, "policies.yaml",
              std::vector<std::string_view>{"resourcePolicies", "applicationPolicies", "subscriptionPolicies"});
  if (!m.ok()) return;
  if (const Entry* e = m.get("resourcePolicies")) parse_group(d, *e, "resource", out.resource);
  if (const Entry* e = m.get("applicationPolicies")) parse_group(d, *e, "application", out.application);
  if (const Entry* e = m.get("subscriptionPolicies")) parse_group(d, *e, "subscription", out.subscription);
}

}  // namespace postern::config::detail
