#include "server/metrics.h"

#include <fmt/format.h>

#include "core/strings.h"

namespace postern::server {

const char* upstream_error_name(UpstreamError e) {
  switch (e) {
    case UpstreamError::kConnectFailed: return "connect_failed";
    case UpstreamError::kConnectTimeout: return "connect_timeout";
    case UpstreamError::kResponseTimeout: return "response_timeout";
    case UpstreamError::kReset: return "reset";
    case UpstreamError::kBadResponse: return "bad_response";
    case UpstreamError::kUnresolved: return "unresolved";
    case UpstreamError::kCount: break;
  }
  return "unknown";
}

void WorkerMetrics::observe_latency(uint64_t micros) {
  double s = double(micros) / 1e6;
  size_t i = 0;
  while (i < kLatencyBuckets.size() && s > kLatencyBuckets[i]) ++i;
  latency_buckets[i].add();
  latency_sum_us.add(micros);
  latency_count.add();
}

MetricsRegistry::MetricsRegistry() { labels_.push_back({"", ""}); }

uint32_t MetricsRegistry::slot_for(const std::string& api, const std::string& route) {
  std::string key = api + '\n' + route;
  auto it = slots_.find(key);
  if (it != slots_.end()) return it->second;
  uint32_t slot = uint32_t(labels_.size());
  if (slot >= kRouteBlockSize * kMaxRouteBlocks) return 0;  // beyond capacity: unlabelled
  labels_.push_back({api, route});
  slots_.emplace(std::move(key), slot);
  return slot;
}

void MetricsRegistry::ensure_storage(std::vector<WorkerMetrics*>& workers) {
  size_t blocks = (labels_.size() + kRouteBlockSize - 1) / kRouteBlockSize;
  for (auto* w : workers) {
    for (size_t b = 0; b < blocks && b < kMaxRouteBlocks; ++b) {
      if (!w->route_blocks[b]) w->route_blocks[b] = std::make_unique<RouteCounters[]>(kRouteBlockSize);
    }
  }
}

namespace {
std::string label_value(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string format_double(double d) { return fmt::format("{}", d); }
}  // namespace

std::string render_prometheus(const MetricsRegistry& registry, const std::vector<const WorkerMetrics*>& workers,
                              const GaugeSnapshot& gauges, uint64_t config_generation, uint64_t reload_failures) {
  std::string out;
  auto it = std::back_inserter(out);
  out += "# HELP postern_requests_total Requests answered, by API, route and status class.\n";
  out += "# TYPE postern_requests_total counter\n";
  const auto& labels = registry.labels();
  static const char* kClasses[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
  for (size_t slot = 0; slot < labels.size(); ++slot) {
    const auto& l = labels[slot];
    for (size_t c = 0; c < 5; ++c) {
      uint64_t sum = 0;
      for (const auto* w : workers) {
        const auto& block = w->route_blocks[slot / kRouteBlockSize];
        if (block) sum += block[slot % kRouteBlockSize].by_status_class[c].get();
      }
      if (sum == 0) continue;
      fmt::format_to(it, "postern_requests_total{{api=\"{}\",route=\"{}\",status_class=\"{}\"}} {}\n",
                     label_value(l.api), label_value(l.route), kClasses[c], sum);
    }
  }
  out += "# HELP postern_local_replies_total Requests the gateway answered itself, by reason.\n";
  out += "# TYPE postern_local_replies_total counter\n";
  for (size_t r = 0; r < size_t(LocalReason::kCount); ++r) {
    uint64_t sum = 0;
    for (const auto* w : workers) sum += w->local_replies[r].get();
    fmt::format_to(it, "postern_local_replies_total{{reason=\"{}\"}} {}\n", filters::reply_reason_name(LocalReason(r)),
                   sum);
  }
  out += "# HELP postern_upstream_errors_total Failed upstream exchanges, by kind.\n";
  out += "# TYPE postern_upstream_errors_total counter\n";
  for (size_t e = 0; e < size_t(UpstreamError::kCount); ++e) {
    uint64_t sum = 0;
    for (const auto* w : workers) sum += w->upstream_errors[e].get();
    fmt::format_to(it, "postern_upstream_errors_total{{kind=\"{}\"}} {}\n", upstream_error_name(UpstreamError(e)), sum);
  }
  auto counter = [&](const char* name, const char* help, auto field) {
    uint64_t sum = 0;
    for (const auto* w : workers) sum += (w->*field).get();
    fmt::format_to(it, "# HELP {} {}\n# TYPE {} counter\n{} {}\n", name, help, name, name, sum);
  };
  counter("postern_connections_accepted_total", "Client connections accepted.", &WorkerMetrics::connections_accepted);
  counter("postern_upstream_connections_opened_total", "Upstream connections opened.",
          &WorkerMetrics::upstream_connections_opened);
  counter("postern_upstream_connections_reused_total", "Upstream requests sent on a pooled keep-alive connection.",
          &WorkerMetrics::upstream_connections_reused);
  fmt::format_to(it,
                 "# HELP postern_active_connections Client connections open now.\n"
                 "# TYPE postern_active_connections gauge\npostern_active_connections {}\n",
                 gauges.active_connections);
  fmt::format_to(it,
                 "# HELP postern_upstream_idle_connections Pooled idle upstream connections.\n"
                 "# TYPE postern_upstream_idle_connections gauge\npostern_upstream_idle_connections {}\n",
                 gauges.idle_upstream_connections);
  out += "# HELP postern_request_duration_seconds Time from the first byte of a request to the end of its response.\n";
  out += "# TYPE postern_request_duration_seconds histogram\n";
  uint64_t cumulative = 0;
  for (size_t b = 0; b <= kLatencyBuckets.size(); ++b) {
    for (const auto* w : workers) cumulative += w->latency_buckets[b].get();
    std::string le = b < kLatencyBuckets.size() ? format_double(kLatencyBuckets[b]) : "+Inf";
    fmt::format_to(it, "postern_request_duration_seconds_bucket{{le=\"{}\"}} {}\n", le, cumulative);
  }
  uint64_t sum_us = 0, count = 0;
  for (const auto* w : workers) {
    sum_us += w->latency_sum_us.get();
    count += w->latency_count.get();
  }
  fmt::format_to(it, "postern_request_duration_seconds_sum {}\npostern_request_duration_seconds_count {}\n",
                 format_double(double(sum_us) / 1e6), count);
  fmt::format_to(
      it,
      "# HELP postern_config_generation Generation of the configuration in force.\n"
      "# TYPE postern_config_generation gauge\npostern_config_generation {}\n"
      "# HELP postern_config_reload_failures_total Reloads rejected because the new configuration was invalid.\n"
      "# TYPE postern_config_reload_failures_total counter\npostern_config_reload_failures_total {}\n",
      config_generation, reload_failures);
  return out;
}

void append_revocation_metrics(std::string& out, const std::vector<filters::RevocationListStats>& lists) {
  if (lists.empty()) return;
  auto it = std::back_inserter(out);
  out +=
      "# HELP postern_revocation_list_fetch_total Fetches of key managers' revocation lists, by issuer and result "
      "(updated: a new list is in force; not_modified: the list held is current; error: the last good list stays).\n"
      "# TYPE postern_revocation_list_fetch_total counter\n";
  for (const auto& l : lists) {
    const std::string issuer = label_value(l.issuer);
    fmt::format_to(it, "postern_revocation_list_fetch_total{{issuer=\"{}\",result=\"updated\"}} {}\n", issuer,
                   l.counts.updated);
    fmt::format_to(it, "postern_revocation_list_fetch_total{{issuer=\"{}\",result=\"not_modified\"}} {}\n", issuer,
                   l.counts.not_modified);
    fmt::format_to(it, "postern_revocation_list_fetch_total{{issuer=\"{}\",result=\"error\"}} {}\n", issuer,
                   l.counts.failed);
  }
  out +=
      "# HELP postern_revocation_list_jtis Revoked token ids in force from an issuer's polled list.\n"
      "# TYPE postern_revocation_list_jtis gauge\n";
  for (const auto& l : lists) {
    fmt::format_to(it, "postern_revocation_list_jtis{{issuer=\"{}\"}} {}\n", label_value(l.issuer), l.jtis);
  }
}

void append_bundle_metrics(std::string& out, const ActiveBundle& bundle) {
  auto it = std::back_inserter(out);
  out +=
      "# HELP postern_bundle_sequence The sequence number of the signed bundle in force.\n"
      "# TYPE postern_bundle_sequence gauge\n";
  fmt::format_to(it, "postern_bundle_sequence {}\n", bundle.sequence);
  out +=
      "# HELP postern_bundle_info The signed bundle in force: its digest (SHA-256 of its MANIFEST) and signer key id.\n"
      "# TYPE postern_bundle_info gauge\n";
  fmt::format_to(it, "postern_bundle_info{{digest=\"{}\",signer_key_id=\"{}\"}} 1\n", label_value(bundle.digest),
                 label_value(bundle.signer_key_id));
}

}  // namespace postern::server
