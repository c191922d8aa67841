#include "server/server.h"

#include <fmt/format.h>
#include <unistd.h>

#include <thread>

#include "admin/admin_server.h"
#include "core/log.h"
#include "core/strings.h"
#include "filters/auth/jwt_authenticator.h"
#include "net/socket_activation.h"
#include "server/inherited_listeners.h"

namespace postern::server {

Server::Server(ServerOptions options) : options_(std::move(options)) {}

Server::~Server() {
  for (auto& w : workers_) w->join();
}

namespace {
// Closes the socket-activated fds this process was given, once workers hold duplicates
// (or when start-up fails), so a failed start never keeps a stray copy open.
struct InheritedFds {
  std::vector<net::InheritedSocket>& sockets;
  void close() {
    for (auto& s : sockets) {
      if (s.fd >= 0) ::close(s.fd);
      s.fd = -1;
    }
  }
  ~InheritedFds() { close(); }
};

std::string listeners_key(const config::Snapshot& s) {
  std::string key;
  for (const auto& l : s.gateway.listeners) key += l.name + "=" + l.address.text + (l.tls ? "+tls;" : ";");
  return key;
}
}  // namespace

int Server::run() {
  // Before any thread starts: this edits the environment.
  std::vector<net::InheritedSocket> inherited;
  {
    std::string error;
    if (!net::take_inherited_sockets(inherited, error)) {
      log::error("{}", error);
      return 1;
    }
  }
  InheritedFds inherited_fds{inherited};
  auto loaded = config::load_project(options_.project_dir);
  if (!loaded.snapshot) {
    for (const auto& d : loaded.diagnostics) log::error("{}", d.format());
    for (const auto& w : loaded.warnings) log::warn("{}", w.format());
    log::error("configuration is invalid ({} errors); not starting", loaded.diagnostics.size());
    return 1;
  }
  for (const auto& w : loaded.warnings) log::warn("{}", w.format());
  const auto& gw = loaded.snapshot->gateway;
  unsigned n = options_.workers_override ? options_.workers_override : gw.workers;
  if (n == 0) n = std::max(1u, std::thread::hardware_concurrency());

  if (gw.access_log.enabled) {
    access_log_ = std::make_shared<AccessLogWriter>();
    std::string err;
    if (!access_log_->open(gw.access_log.path, err)) {
      log::error("{}", err);
      return 1;
    }
  }
  std::string error;
  auto store = throttling_.store_for(gw.throttling);
  // One checking thread per two cores: a password flood then takes at most half the CPU.
  password_checker_ = std::make_unique<filters::PasswordChecker>(std::max(1u, std::thread::hardware_concurrency() / 2),
                                                                 64);
  hosts_ = upstream::HostRefresher::start(gw.dns, error);
  if (!hosts_) {
    log::error("dns: {}", error);
    return 1;
  }
  runtime_ = build_runtime(loaded.snapshot, registry_, ++generation_, n, error, store, password_checker_.get(),
                           hosts_.get());
  if (!runtime_) {
    log::error("{}", error);
    return 1;
  }
  throttling_.apply(gw.throttling, store);
  if (!analytics_.start(gw.analytics, gw.node_id, n, error)) {
    log::error("{}", error);
    return 1;
  }
  for (unsigned i = 0; i < n; ++i) {
    workers_.push_back(std::make_unique<Worker>(i, main_loop_, access_log_));
    analytics_.configure_buffer(i, workers_.back()->analytics());
    workers_.back()->set_analytics_flush(gw.analytics.flush_interval);
    workers_.back()->set_blocker(&throttling_.blocker());
  }
  std::vector<WorkerMetrics*> metrics;
  for (auto& w : workers_) metrics.push_back(&w->metrics());
  registry_.ensure_storage(metrics);
  std::vector<int> listener_fds;
  if (!match_inherited_listeners(gw.listeners, inherited, listener_fds, error)) {
    log::error("{}", error);
    return 1;
  }
  std::vector<net::tcp::endpoint> bound;
  for (auto& w : workers_) {
    if (!w->open_listeners(*runtime_, listener_fds, bound, error)) {
      log::error("{}", error);
      return 1;
    }
  }
  inherited_fds.close();  // every worker holds its own duplicate now
  std::unique_ptr<admin::AdminServer> admin;
  if (gw.admin) {
    admin = std::make_unique<admin::AdminServer>(main_loop_, *this);
    if (!admin->listen(*gw.admin, error)) {
      log::error("admin listener ({}): {}", gw.admin_address_text, error);
      return 1;
    }
  }
  jwks_ = filters::JwksFetchers::start(main_loop_, runtime_->filters->jwt, gw.security, runtime_->client_tls);
  revocations_ = std::make_shared<filters::RevocationPollers>(main_loop_, [this](const std::string& iss, auto jtis) {
    publish_revocations(iss, std::move(jtis));
  });
  revocations_->configure(gw.security, runtime_->client_tls);
  for (auto& w : workers_) w->start(runtime_);

  net::asio::signal_set signals(main_loop_, SIGTERM, SIGINT, SIGHUP);
  std::function<void(const net::error_code&, int)> on_signal = [&](const net::error_code& ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      std::vector<std::string> errors;
      reload(errors);
      signals.async_wait(on_signal);
      return;
    }
    log::info("received {}, draining (up to {} ms)", sig == SIGTERM ? "SIGTERM" : "SIGINT",
              runtime_->config->gateway.limits.drain_timeout.count());
    drain();
    // A second signal during the drain is ignored: the drain deadline bounds it.
  };
  signals.async_wait(on_signal);
  schedule_sweep();
  ready_ = true;
  std::string addrs;
  for (size_t i = 0; i < gw.listeners.size(); ++i) {
    addrs += (addrs.empty() ? "" : ", ") + gw.listeners[i].name + " " + bound[i].address().to_string() + ":" +
             std::to_string(bound[i].port()) + (listener_fds[i] >= 0 ? " (inherited socket)" : "");
  }
  log::info("postern: ready, {} workers, {} APIs, {} routes; listening on {}{}", n, runtime_->config->apis.size(),
            runtime_->config->routes.size(), addrs, gw.admin ? "; admin " + gw.admin->text : "");

  // The main loop ends when the drain is complete: workers stop their loops, then we stop ours.
  main_loop_.run();
  for (auto& w : workers_) w->join();
  {
    std::vector<analytics::EventBuffer*> buffers;
    for (auto& w : workers_) buffers.push_back(&w->analytics());
    analytics_.stop(buffers);
  }
  throttling_.stop();
  if (admin) admin->close();
  log::info("postern: stopped");
  return 0;
}

void Server::drain() {
  if (draining_) return;
  draining_ = true;
  if (jwks_) jwks_->stop();
  if (revocations_) revocations_->stop();
  if (sweep_timer_) sweep_timer_->cancel();
  Millis timeout = runtime_->config->gateway.limits.drain_timeout;
  for (auto& w : workers_) w->begin_drain(timeout);
  // Join the workers off the main loop so access-log writes posted to it still run.
  std::thread([this] {
    for (auto& w : workers_) w->join();
    net::asio::post(main_loop_, [this] { main_loop_.stop(); });
  }).detach();
}

bool Server::reload(std::vector<std::string>& errors) { return reload_project(options_.project_dir, errors); }

bool Server::reload_project(const std::filesystem::path& dir, std::vector<std::string>& errors) {
  auto loaded = config::load_project(dir);
  if (!loaded.snapshot) {
    ++reload_failures_;
    for (const auto& d : loaded.diagnostics) {
      errors.push_back(d.format());
      log::error("reload: {}", d.format());
    }
    log::error("reload rejected ({} errors); the previous configuration stays in force", loaded.diagnostics.size());
    return false;
  }
  for (const auto& w : loaded.warnings) log::warn("reload: {}", w.format());
  std::string error;
  auto store = throttling_.store_for(loaded.snapshot->gateway.throttling);
  auto rt = build_runtime(loaded.snapshot, registry_, generation_ + 1, unsigned(workers_.size()), error, store,
                          password_checker_.get(), hosts_.get());
  if (!rt) {
    ++reload_failures_;
    errors.push_back(error);
    log::error("reload rejected: {}; the previous configuration stays in force", error);
    return false;
  }
  const auto& old_dns = runtime_->config->gateway.dns;
  const auto& new_dns = loaded.snapshot->gateway.dns;
  if (old_dns.servers != new_dns.servers || old_dns.refresh != new_dns.refresh || old_dns.timeout != new_dns.timeout) {
    log::warn("reload: dns changes take effect only after a restart");
  }
  if (listeners_key(*loaded.snapshot) != listeners_key(*runtime_->config)) {
    log::warn("reload: listener changes take effect only after a restart");
  }
  // Run-time revocations outlive reloads; the new runtime is not visible yet, so add them
  // directly for every worker.
  for (const auto& jti : revoked_) {
    for (unsigned i = 0; i < workers_.size(); ++i) rt->filters->jwt->add_runtime_revoked(i, jti);
  }
  // So do the polled lists of the issuers that keep a revocations_url.
  revocations_->configure(rt->config->gateway.security, rt->client_tls);
  for (const auto& [iss, jtis] : revocations_->lists()) {
    for (unsigned i = 0; i < workers_.size(); ++i) rt->filters->jwt->set_polled_revoked(i, iss, jtis);
  }
  ++generation_;
  options_.project_dir = dir;
  std::vector<WorkerMetrics*> metrics;
  for (auto& w : workers_) metrics.push_back(&w->metrics());
  registry_.ensure_storage(metrics);  // before any worker can use the new slots
  runtime_ = rt;
  if (jwks_) jwks_->stop();
  jwks_ = filters::JwksFetchers::start(main_loop_, rt->filters->jwt, rt->config->gateway.security, rt->client_tls);
  for (auto& w : workers_) w->publish(rt);
  throttling_.apply(rt->config->gateway.throttling, store);
  analytics_.check_reload(rt->config->gateway.analytics);
  log::info("reloaded configuration (generation {}): {} APIs, {} routes", generation_, rt->config->apis.size(),
            rt->config->routes.size());
  return true;
}

void Server::admin_revoke(const std::string& jti) {
  revoked_.push_back(jti);
  for (unsigned i = 0; i < workers_.size(); ++i) {
    // Each worker's set is touched only on its own thread.
    net::asio::post(workers_[i]->loop(), [rt = runtime_, i, jti] { rt->filters->jwt->add_runtime_revoked(i, jti); });
  }
  log::info("revoked token id '{}' on all workers", jti);
}

void Server::publish_revocations(const std::string& iss, std::shared_ptr<const filters::RevokedJtis> jtis) {
  for (unsigned i = 0; i < workers_.size(); ++i) {
    // Each worker's pointer is touched only on its own thread; the list itself is shared.
    net::asio::post(workers_[i]->loop(),
                    [rt = runtime_, i, iss, jtis] { rt->filters->jwt->set_polled_revoked(i, iss, jtis); });
  }
}

std::string Server::metrics_text() const {
  std::vector<const WorkerMetrics*> ms;
  GaugeSnapshot g;
  for (const auto& w : workers_) {
    ms.push_back(&w->metrics_view());
    g.active_connections += w->active_connections();
    g.idle_upstream_connections += w->idle_upstream();
  }
  std::string out = render_prometheus(registry_, ms, g, generation_, reload_failures_);
  throttling_.append_metrics(out);
  std::vector<const analytics::EventBuffer*> buffers;
  for (const auto& w : workers_) buffers.push_back(&w->analytics_view());
  analytics_.append_metrics(out, buffers);
  if (revocations_) append_revocation_metrics(out, revocations_->stats());
  if (hosts_) out += hosts_->metrics_text();
  if (options_.bundle) append_bundle_metrics(out, *options_.bundle);
  if (options_.extra_metrics) options_.extra_metrics(out);
  return out;
}

void Server::schedule_sweep() {
  // Idle throttling keys are reclaimed a few shards at a time, so no sweep holds a shard long.
  if (!sweep_timer_) sweep_timer_ = std::make_unique<net::asio::steady_timer>(main_loop_);
  sweep_timer_->expires_after(std::chrono::milliseconds(250));
  sweep_timer_->async_wait([this](const net::error_code& ec) {
    if (ec || draining_) return;
    throttling_.sweep(SystemClock::instance().unix_micros() / 1000);
    schedule_sweep();
  });
}

std::string Server::admin_throttle_tiers() const {
  return ThrottlingState::tiers_json(runtime_->config->gateway.throttling);
}

std::string Server::admin_throttle_counter(std::string_view key) const { return throttling_.counter_json(key); }

std::string Server::admin_blocks() const { return throttling_.blocks_json(); }

uint64_t Server::admin_add_block(std::string_view type, std::string_view value, std::string& error) {
  throttle::BlockRule r;
  if (!throttle::parse_block_type(type, r.type)) {
    error = "type must be ip, api, application or user";
    return 0;
  }
  r.value = std::string(value);
  error = throttle::validate_block_rule(r);
  if (!error.empty()) return 0;
  uint64_t id = throttling_.blocker().add(std::move(r));
  log::info("blocking condition {} added through the admin API: {} {}", id, type, value);
  return id;
}

bool Server::admin_remove_block(uint64_t id) {
  bool ok = throttling_.blocker().remove(id);
  if (ok) log::info("blocking condition {} removed through the admin API", id);
  return ok;
}

std::string Server::config_summary_json() const {
  std::string out = fmt::format("{{\"generation\":{},\"project\":\"", generation_);
  append_json_escaped(out, runtime_->config->project_dir.string());
  out += "\",";
  if (options_.bundle) out += "\"bundle\":" + options_.bundle->json() + ",";
  out += "\"apis\":[";
  bool first_api = true;
  for (const auto& api : runtime_->config->apis) {
    if (!first_api) out += ",";
    first_api = false;
    out += "{\"name\":\"";
    append_json_escaped(out, api->name);
    out += "\",\"version\":\"";
    append_json_escaped(out, api->version);
    out += "\",\"base_path\":\"";
    append_json_escaped(out, api->base_path);
    out += "\",\"routes\":[";
    bool first = true;
    for (uint32_t id : api->route_ids) {
      const auto& r = runtime_->config->routes[id];
      if (!first) out += ",";
      first = false;
      out += "{\"method\":\"" + r.method_text + "\",\"path\":\"";
      append_json_escaped(out, r.full_template);
      out += "\",\"endpoints\":[";
      if (r.production) {
        for (size_t i = 0; i < r.production->endpoints.size(); ++i) {
          if (i) out += ",";
          out += "\"";
          append_json_escaped(out, r.production->endpoints[i].url);
          out += "\"";
        }
      }
      out += "]}";
    }
    out += "]}";
  }
  out += "]}";
  return out;
}

}  // namespace postern::server
