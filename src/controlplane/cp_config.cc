#include "controlplane/cp_config.h"

#include "config/internal.h"

namespace postern::controlplane {

namespace fs = std::filesystem;
using namespace config::detail;

namespace {

const std::vector<std::string_view> kKeys = {"url",     "trust",     "poll",      "timeout",
                                             "ca_file", "token_env", "state_dir", "secrets_dir"};

fs::path relative_to(const fs::path& base, const std::string& p) {
  fs::path path(p);
  return (path.is_absolute() ? path : base / path).lexically_normal();
}

void read_url(Diagnostics& d, const Entry& e, ControlPlaneConfig& out) {
  auto s = read_string(d, e, "control_plane.url");
  if (!s) return;
  if (!s->starts_with("https://") && !s->starts_with("http://")) {
    d.error(e.value,
            "'control_plane.url' must be an https:// URL (the bundle's address), e.g. "
            "https://cp.example.com/bundles/orders.bundle");
    return;
  }
  out.url = *s;
}

void read_trust(Diagnostics& d, const Entry& e, const fs::path& base, ControlPlaneConfig& out) {
  std::vector<YAML::Node> items;
  if (e.value.IsScalar()) items.push_back(e.value);
  else if (e.value.IsSequence())
    for (const auto& n : e.value) items.push_back(n);
  if (items.empty()) {
    d.error(e.value.IsNull() ? e.key : e.value,
            "'control_plane.trust' must name the PEM public key(s) bundles are signed with, e.g. "
            "[keys/publisher.pub]");
    return;
  }
  for (const auto& n : items) {
    if (!n.IsScalar() || n.Scalar().empty()) {
      d.error(n, "'control_plane.trust' entries must be file names of PEM public keys");
      continue;
    }
    fs::path p = relative_to(base, n.Scalar());
    if (!fs::is_regular_file(p)) d.error(n, "no such file: " + p.string());
    else out.trust.push_back(p);
  }
}

void read_entries(Diagnostics& d, const MapReader& m, const fs::path& base, ControlPlaneConfig& out) {
  if (const Entry* f = m.get("url")) read_url(d, *f, out);
  if (const Entry* f = m.get("trust")) read_trust(d, *f, base, out);
  if (const Entry* f = m.get("poll")) {
    if (auto ms = read_duration(d, *f, "control_plane.poll")) {
      if (ms->count() < 100) d.error(f->value, "'control_plane.poll' must be at least 100ms (e.g. \"30s\")");
      else out.poll = *ms;
    }
  }
  if (const Entry* f = m.get("timeout")) {
    if (auto ms = read_duration(d, *f, "control_plane.timeout")) {
      if (ms->count() < 100) d.error(f->value, "'control_plane.timeout' must be at least 100ms (e.g. \"60s\")");
      else out.timeout = *ms;
    }
  }
  if (const Entry* f = m.get("ca_file")) {
    if (auto s = read_string(d, *f, "control_plane.ca_file")) {
      out.ca_file = relative_to(base, *s);
      if (!fs::is_regular_file(out.ca_file)) d.error(f->value, "no such file: " + out.ca_file.string());
    }
  }
  if (const Entry* f = m.get("token_env")) {
    if (auto token = read_secret_env(d, *f, "the control plane's bearer token")) {
      out.token_env = f->value.Scalar();
      out.token = *token;
      if (out.url.starts_with("http://"))
        d.error(f->value, "a bearer token is sent only over https://; make 'control_plane.url' an https:// URL");
    }
  }
  if (const Entry* f = m.get("state_dir"))
    if (auto s = read_string(d, *f, "control_plane.state_dir")) out.state_dir = relative_to(base, *s);
  if (const Entry* f = m.get("secrets_dir"))
    if (auto s = read_string(d, *f, "control_plane.secrets_dir")) out.secrets_dir = relative_to(base, *s);
}

}  // namespace

bool looks_like_control_plane_file(const fs::path& file) {
  const std::string ext = file.extension().string();
  return ext == ".yaml" || ext == ".yml";
}

bool load_control_plane_config(const fs::path& file, ControlPlaneConfig& out, std::vector<config::Diagnostic>& errors) {
  Diagnostics d(errors, file.string());
  auto root = load_yaml_file(d, file);
  if (!root) return false;
  const fs::path base = fs::absolute(file).parent_path();
  out.file = file;
  out.secrets_dir = base;
  MapReader top(d, *root, "the control-plane file", std::vector<std::string_view>{"control_plane"});
  if (!top.ok()) return false;
  const Entry* cp = top.get("control_plane");
  if (!cp) {
    if (!top.misspelled("control_plane"))
      d.error("a control-plane file holds one 'control_plane:' map (url, trust, poll, ...); a project is a folder");
    return false;
  }
  MapReader m(d, cp->value, "control_plane", kKeys);
  if (!m.ok()) return false;
  read_entries(d, m, base, out);
  for (std::string_view required : {"url", "trust"}) {
    if (!m.get(required) && !m.misspelled(required))
      d.error(cp->key, "'control_plane' needs '" + std::string(required) + "'");
  }
  return d.count() == 0;
}

}  // namespace postern::controlplane
