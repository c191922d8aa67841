// postern.yaml → GatewayConfig.
#include <arpa/inet.h>
#include <unistd.h>

#include "config/address.h"
#include "config/internal.h"
#include "core/strings.h"

namespace postern::config::detail {

namespace fs = std::filesystem;

namespace {

fs::path resolve_path(const fs::path& project_abs, const std::string& p) {
  fs::path path(p);
  fs::path out = (path.is_absolute() ? path : project_abs / path).lexically_normal();
  if (!out.has_filename() && out.has_parent_path() && out != out.root_path()) out = out.parent_path();  // "apis/"
  return out;
}

// Checks that a file named in postern.yaml exists; reports at the key's value.
void require_file(Diagnostics& d, const Entry& e, const fs::path& abs, std::string_view what) {
  std::error_code ec;
  if (!fs::is_regular_file(abs, ec)) {
    d.error(e.value, std::string(what) + " file '" + e.value.Scalar() + "' not found (looked for " + abs.string() +
                         "); paths are relative to the project directory");
  }
}

}  // namespace

std::optional<SocketAddress> read_address(Diagnostics& d, const Entry& e, std::string_view what, bool passive) {
  auto text = read_string(d, e, what);
  if (!text) return std::nullopt;
  HostPort hp;
  if (Status s = parse_host_port(*text, /*allow_port_zero=*/true, hp); !s) {
    d.error(e.value, s.message());
    return std::nullopt;
  }
  std::vector<SocketAddress> addrs;
  if (Status s = resolve(hp, passive, addrs); !s) {
    d.error(e.value, std::string(what) + ": " + s.message());
    return std::nullopt;
  }
  return addrs.front();
}

namespace {

void parse_listeners(Diagnostics& d, const Entry& e, const fs::path& project_abs, GatewayConfig& out) {
  if (!e.value.IsSequence() || e.value.size() == 0) {
    d.error(e.value.IsNull() ? e.key : e.value,
            "'listeners' must be a non-empty list, e.g. [{name: http, address: \"0.0.0.0:9090\"}]");
    return;
  }
  for (size_t i = 0; i < e.value.size(); ++i) {
    YAML::Node item = e.value[i];
    std::string where = "listeners[" + std::to_string(i) + "]";
    MapReader m(d, item, where, std::vector<std::string_view>{"name", "address", "tls"});
    if (!m.ok()) continue;
    Listener l;
    if (const Entry* n = m.get("name")) {
      if (auto s = read_string(d, *n, where + ".name")) l.name = *s;
    } else {
      l.name = "listener-" + std::to_string(i);
    }
    for (const Listener& other : out.listeners) {
      if (other.name == l.name)
        d.error(m.get("name") ? m.get("name")->value : item, "duplicate listener name '" + l.name + "'");
    }
    const Entry* a = m.get("address");
    if (a == nullptr) {
      d.error(item, where + " has no 'address'; add e.g. address: \"0.0.0.0:9090\"");
    } else if (auto addr = read_address(d, *a, where + ".address", true)) {
      l.address_text = a->value.Scalar();
      l.address = *addr;
      for (const Listener& other : out.listeners) {
        if (!other.address_text.empty() && other.address.text == l.address.text && !l.address.text.ends_with(":0")) {
          d.error(a->value, "listeners '" + other.name + "' and '" + l.name + "' both use " + l.address.text);
        }
      }
    }
    if (const Entry* t = m.get("tls")) {
      MapReader tm(d, t->value, where + ".tls",
                   std::vector<std::string_view>{"cert", "key", "client_ca", "client_auth"});
      if (tm.ok()) {
        TlsServerConfig tls;
        const Entry* cert = tm.get("cert");
        const Entry* key = tm.get("key");
        if (cert == nullptr || key == nullptr) {
          d.error(t->value, where + ".tls needs both 'cert' (PEM certificate chain) and 'key' (PEM private key)");
        }
        if (cert != nullptr) {
          if (auto s = read_string(d, *cert, where + ".tls.cert")) {
            tls.cert_file = resolve_path(project_abs, *s);
            require_file(d, *cert, tls.cert_file, "TLS certificate");
          }
        }
        if (key != nullptr) {
          if (auto s = read_string(d, *key, where + ".tls.key")) {
            tls.key_file = resolve_path(project_abs, *s);
            require_file(d, *key, tls.key_file, "TLS private key");
          }
        }
        if (const Entry* ca = tm.get("client_ca")) {
          if (auto s = read_string(d, *ca, where + ".tls.client_ca")) {
            tls.client_ca_file = resolve_path(project_abs, *s);
            require_file(d, *ca, tls.client_ca_file, "client CA");
            tls.client_auth = TlsServerConfig::ClientAuth::kOptional;
          }
        }
        if (const Entry* ca = tm.get("client_auth")) {
          std::string v = ca->value.IsScalar() ? ca->value.Scalar() : "";
          if (v == "none") tls.client_auth = TlsServerConfig::ClientAuth::kNone;
          else if (v == "optional") tls.client_auth = TlsServerConfig::ClientAuth::kOptional;
          else if (v == "required") tls.client_auth = TlsServerConfig::ClientAuth::kRequired;
          else d.error(ca->value, where + ".tls.client_auth must be none, optional or required");
          if (tls.client_auth != TlsServerConfig::ClientAuth::kNone && tls.client_ca_file.empty())
            d.error(ca->value,
                    where +
                        ".tls.client_auth needs 'client_ca': the CA bundle client certificates are verified against");
        }
        l.tls = std::move(tls);
      }
    }
    out.listeners.push_back(std::move(l));
  }
}

void parse_limits(Diagnostics& d, const Entry& e, Limits& l) {
  MapReader m(d, e.value, "limits",
              std::vector<std::string_view>{"max_header_bytes", "max_uri_bytes", "max_body_bytes", "header_timeout",
                                            "idle_timeout", "body_timeout", "upstream_connect_timeout",
                                            "upstream_response_timeout", "upstream_idle_timeout", "drain_timeout",
                                            "max_idle_upstream_per_endpoint"});
  for (const Entry& f : m.entries()) {
    std::string what = "limits." + f.name;
    if (f.name == "max_header_bytes" || f.name == "max_uri_bytes" || f.name == "max_body_bytes") {
      auto v = read_size(d, f, what);
      if (!v) continue;
      if (f.name == "max_body_bytes") {
        l.max_body_bytes = *v;
      } else if (*v < 256) {
        d.error(f.value, "'" + what + "' must be at least 256 bytes");
      } else {
        (f.name == "max_header_bytes" ? l.max_header_bytes : l.max_uri_bytes) = size_t(*v);
      }
    } else if (f.name == "max_idle_upstream_per_endpoint") {
      if (auto v = read_uint(d, f, what, 0, 100000)) l.max_idle_upstream_per_endpoint = size_t(*v);
    } else {
      auto v = read_duration(d, f, what);
      if (!v) continue;
      if (v->count() == 0) {
        d.error(f.value, "'" + what + "' must be greater than zero");
        continue;
      }
      Millis* slot = f.name == "header_timeout"              ? &l.header_timeout
                     : f.name == "idle_timeout"              ? &l.idle_timeout
                     : f.name == "body_timeout"              ? &l.body_timeout
                     : f.name == "upstream_connect_timeout"  ? &l.upstream_connect_timeout
                     : f.name == "upstream_response_timeout" ? &l.upstream_response_timeout
                     : f.name == "upstream_idle_timeout"     ? &l.upstream_idle_timeout
                                                             : &l.drain_timeout;
      *slot = *v;
    }
  }
}

bool valid_cidr(std::string_view s) {
  size_t slash = s.find('/');
  std::string addr(s.substr(0, slash));
  unsigned char buf[16];
  int max_bits;
  if (inet_pton(AF_INET, addr.c_str(), buf) == 1) max_bits = 32;
  else if (inet_pton(AF_INET6, addr.c_str(), buf) == 1) max_bits = 128;
  else return false;
  if (slash == std::string_view::npos) return true;
  auto bits = parse_u64(s.substr(slash + 1));
  return bits && *bits <= uint64_t(max_bits);
}

}  // namespace

void parse_gateway(Diagnostics& d, const YAML::Node& root, const fs::path& project_abs, const fs::path& project_display,
                   GatewayConfig& out, fs::path& apis_display) {
  out.apis_dir = (project_abs / "apis").lexically_normal();
  apis_display = (project_display / "apis").lexically_normal();
  {
    char host[256] = {0};
    if (gethostname(host, sizeof host - 1) == 0) out.node_id = host;
  }
  MapReader m(d, root, "postern.yaml",
              std::vector<std::string_view>{"listeners", "admin", "workers", "apis", "limits", "access_log",
                                            "upstream_tls", "forwarding", "security", "throttling", "analytics",
                                            "node_id", "dns"});
  if (!m.ok()) return;

  if (const Entry* e = m.get("listeners")) {
    parse_listeners(d, *e, project_abs, out);
  } else if (!m.misspelled("listeners")) {
    d.error(root,
            "postern.yaml has no 'listeners'; add e.g.\n  listeners:\n    - {name: http, address: \"0.0.0.0:9090\"}");
  }

  if (const Entry* e = m.get("admin")) {
    MapReader am(d, e->value, "admin", std::vector<std::string_view>{"address", "token_env", "token_file"});
    if (am.ok()) {
      for (const char* key : {"token_env", "token_file"}) {
        const Entry* t = am.get(key);
        if (t == nullptr) continue;
        auto tok = std::string_view(key) == "token_env" ? read_secret_env(d, *t, "the admin token")
                                                        : read_secret_file(d, *t, project_abs, "the admin token");
        if (tok && tok->size() < 16) d.error(t->value, "the admin token must be at least 16 characters");
        else if (tok) out.admin_token = *tok;
      }
      if (const Entry* a = am.get("address")) {
        if (auto addr = read_address(d, *a, "admin.address", true)) {
          out.admin = *addr;
          out.admin_address_text = a->value.Scalar();
        }
      } else {
        d.error(e->value, "'admin' needs an 'address', e.g. admin: {address: \"127.0.0.1:9091\"}");
      }
    }
  }

  if (const Entry* e = m.get("workers")) {
    if (e->value.IsScalar() && e->value.Scalar() == "auto") {
      out.workers = 0;
    } else {
      std::optional<uint64_t> n;
      if (e->value.IsScalar()) n = parse_u64(e->value.Scalar());
      if (!n || *n < 1 || *n > 1024) {
        d.error(e->value.IsNull() ? e->key : e->value,
                "'workers' must be \"auto\" (one per CPU core) or a number from 1 to 1024");
      } else {
        out.workers = unsigned(*n);
      }
    }
  }

  if (const Entry* e = m.get("apis")) {
    if (auto s = read_string(d, *e, "apis")) {
      if (s->empty()) {
        d.error(e->value, "'apis' must name a folder, e.g. apis: apis/");
      } else {
        out.apis_dir = resolve_path(project_abs, *s);
        fs::path p(*s);
        apis_display = p.is_absolute() ? p.lexically_normal() : (project_display / p).lexically_normal();
        if (!apis_display.has_filename() && apis_display.has_parent_path()) apis_display = apis_display.parent_path();
      }
    }
  }

  if (const Entry* e = m.get("limits")) parse_limits(d, *e, out.limits);
  if (const Entry* e = m.get("security")) parse_security(d, *e, project_abs, out.security);
  add_builtin_tiers(out.throttling);
  if (const Entry* e = m.get("throttling")) parse_throttling(d, *e, project_abs, out.throttling);
  if (const Entry* e = m.get("analytics")) parse_analytics(d, *e, project_abs, out.analytics);

  if (const Entry* e = m.get("access_log")) {
    MapReader am(d, e->value, "access_log", std::vector<std::string_view>{"enabled", "path"});
    if (am.ok()) {
      out.access_log.enabled = true;  // a section present means "on" unless enabled: false
      out.access_log.path = "-";
      if (const Entry* f = am.get("enabled")) {
        if (auto b = read_bool(d, *f, "access_log.enabled")) out.access_log.enabled = *b;
      }
      if (const Entry* f = am.get("path")) {
        if (auto s = read_string(d, *f, "access_log.path")) {
          if (s->empty()) d.error(f->value, "'access_log.path' must be \"-\" (stdout) or a file path");
          else out.access_log.path = *s == "-" ? "-" : resolve_path(project_abs, *s).string();
        }
      }
    }
  }

  if (const Entry* e = m.get("upstream_tls")) {
    MapReader um(d, e->value, "upstream_tls", std::vector<std::string_view>{"ca_file", "verify"});
    if (um.ok()) {
      if (const Entry* f = um.get("ca_file")) {
        if (auto s = read_string(d, *f, "upstream_tls.ca_file")) {
          out.upstream_tls.ca_file = resolve_path(project_abs, *s);
          require_file(d, *f, out.upstream_tls.ca_file, "CA");
        }
      }
      if (const Entry* f = um.get("verify")) {
        if (auto b = read_bool(d, *f, "upstream_tls.verify")) out.upstream_tls.verify = *b;
      }
    }
  }

  if (const Entry* e = m.get("forwarding")) {
    MapReader fm(d, e->value, "forwarding",
                 std::vector<std::string_view>{"trusted_proxies", "preserve_host", "allow_encoded_slash"});
    if (fm.ok()) {
      if (const Entry* f = fm.get("trusted_proxies")) {
        if (!f->value.IsSequence()) {
          d.error(f->value.IsNull() ? f->key : f->value,
                  "'forwarding.trusted_proxies' must be a list of CIDRs, e.g. [\"10.0.0.0/8\", \"::1\"]");
        } else {
          for (const auto& c : f->value) {
            if (!c.IsScalar() || !valid_cidr(c.Scalar())) {
              d.error(c, "'" + (c.IsScalar() ? c.Scalar() : std::string("?")) +
                             "' is not an IP address or CIDR (e.g. \"10.0.0.0/8\", \"192.168.1.7\", \"fd00::/8\")");
            } else {
              out.forwarding.trusted_proxies.push_back(c.Scalar());
            }
          }
        }
      }
      if (const Entry* f = fm.get("preserve_host")) {
        if (auto b = read_bool(d, *f, "forwarding.preserve_host")) out.forwarding.preserve_host = *b;
      }
      if (const Entry* f = fm.get("allow_encoded_slash")) {
        if (auto b = read_bool(d, *f, "forwarding.allow_encoded_slash")) out.forwarding.allow_encoded_slash = *b;
      }
    }
  }

  if (const Entry* e = m.get("dns")) parse_dns(d, *e, out.dns);

  if (const Entry* e = m.get("node_id")) {
    if (auto s = read_string(d, *e, "node_id")) {
      if (s->empty()) d.error(e->value, "'node_id' must not be empty (omit it to use the host name)");
      else out.node_id = *s;
    }
  }
}

}  // namespace postern::config::detail
