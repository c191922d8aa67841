#include "keymanager/km_config.h"

#include "config/internal.h"

namespace postern::keymanager {

namespace fs = std::filesystem;
using namespace config::detail;

namespace {

const std::vector<std::string_view> kKeys = {"listen",
                                             "tls",
                                             "issuer",
                                             "audiences",
                                             "store",
                                             "master_key_env",
                                             "master_key_file",
                                             "admin_token_env",
                                             "admin_token_file",
                                             "project",
                                             "signing",
                                             "tokens",
                                             "failed_auth"};

std::optional<std::chrono::seconds> read_seconds(Diagnostics& d, const Entry& e, std::string_view what) {
  auto ms = read_duration(d, e, what);
  if (!ms) return std::nullopt;
  if (ms->count() < 1000) {
    d.error(e.value, "'" + std::string(what) + "' must be at least 1s");
    return std::nullopt;
  }
  return std::chrono::duration_cast<std::chrono::seconds>(*ms);
}

void parse_tls(Diagnostics& d, const Entry& e, const fs::path& base, KmConfig& out) {
  MapReader m(d, e.value, "tls", std::vector<std::string_view>{"cert_file", "key_file"});
  if (!m.ok()) return;
  for (auto [name, target] : {std::pair{"cert_file", &out.tls_cert}, std::pair{"key_file", &out.tls_key}}) {
    const Entry* f = m.get(name);
    if (!f) {
      if (!m.misspelled(name)) d.error(e.key, std::string("'tls' needs '") + name + "' (a PEM file)");
      continue;
    }
    if (auto s = read_string(d, *f, std::string("tls.") + name)) {
      fs::path p(*s);
      *target = (p.is_absolute() ? p : base / p).lexically_normal();
      if (!fs::exists(*target)) d.error(f->value, "no such file: " + target->string());
    }
  }
}

void parse_signing(Diagnostics& d, const Entry& e, KmConfig& out) {
  MapReader m(d, e.value, "signing", std::vector<std::string_view>{"alg", "key_lifetime", "publish_ahead"});
  if (!m.ok()) return;
  if (const Entry* f = m.get("alg")) {
    if (auto s = read_string(d, *f, "signing.alg")) {
      auto alg = jose::alg_from_name(*s);
      if (!alg || (*alg != jose::Alg::kES256 && *alg != jose::Alg::kEdDSA && *alg != jose::Alg::kRS256))
        d.error(f->value, "'signing.alg' must be ES256, EdDSA or RS256");
      else out.signing_alg = *alg;
    }
  }
  if (const Entry* f = m.get("key_lifetime"))
    if (auto v = read_seconds(d, *f, "signing.key_lifetime")) out.key_lifetime = *v;
  if (const Entry* f = m.get("publish_ahead")) {
    if (auto ms = read_duration(d, *f, "signing.publish_ahead"))
      out.publish_ahead = std::chrono::duration_cast<std::chrono::seconds>(*ms);
  }
}

void parse_tokens(Diagnostics& d, const Entry& e, KmConfig& out) {
  MapReader m(d, e.value, "tokens", std::vector<std::string_view>{"access_lifetime", "refresh_lifetime", "format"});
  if (!m.ok()) return;
  if (const Entry* f = m.get("access_lifetime"))
    if (auto v = read_seconds(d, *f, "tokens.access_lifetime")) out.access_lifetime = *v;
  if (const Entry* f = m.get("refresh_lifetime"))
    if (auto v = read_seconds(d, *f, "tokens.refresh_lifetime")) out.refresh_lifetime = *v;
  if (const Entry* f = m.get("format")) {
    if (auto s = read_string(d, *f, "tokens.format")) {
      if (*s == "opaque")
        d.error(f->value, "'tokens.format: opaque' is not implemented yet; use jwt (introspection works for JWTs too)");
      else if (*s != "jwt") d.error(f->value, "'tokens.format' must be jwt");
    }
  }
}

void parse_failed_auth(Diagnostics& d, const Entry& e, KmConfig& out) {
  MapReader m(d, e.value, "failed_auth", std::vector<std::string_view>{"max", "window"});
  if (!m.ok()) return;
  if (const Entry* f = m.get("max"))
    if (auto v = read_uint(d, *f, "failed_auth.max", 1, 1'000'000)) out.failed_auth_max = static_cast<unsigned>(*v);
  if (const Entry* f = m.get("window"))
    if (auto v = read_seconds(d, *f, "failed_auth.window")) out.failed_auth_window = *v;
}

void parse_secrets(Diagnostics& d, const MapReader& m, const Entry* root, const fs::path& base, KmConfig& out) {
  if (const Entry* f = m.get("master_key_env"))
    if (read_secret_env(d, *f, "the master key")) out.master_key_env = f->value.as<std::string>("");
  if (const Entry* f = m.get("master_key_file")) {
    if (read_secret_file(d, *f, base, "the master key")) {
      fs::path p(f->value.as<std::string>(""));
      out.master_key_file = (p.is_absolute() ? p : base / p).lexically_normal();
    }
  }
  if (!m.get("master_key_env") && !m.get("master_key_file") && root)
    d.error(root->value,
            "km.yaml needs 'master_key_env' or 'master_key_file': the 32-byte key (64 hex digits) that "
            "encrypts the signing keys at rest, e.g. master_key_env: POSTERN_KM_MASTER_KEY");
  if (const Entry* f = m.get("admin_token_env"))
    if (auto v = read_secret_env(d, *f, "the admin token")) out.admin_token = *v;
  if (const Entry* f = m.get("admin_token_file"))
    if (auto v = read_secret_file(d, *f, base, "the admin token")) out.admin_token = *v;
}

void parse_root(Diagnostics& d, const YAML::Node& root, const fs::path& base, KmConfig& out) {
  MapReader m(d, root, "km.yaml", kKeys);
  if (!m.ok()) return;
  Entry whole{root, root, "km.yaml"};
  if (const Entry* f = m.get("listen")) {
    if (auto a = read_address(d, *f, "listen", true)) out.listen = *a;
  } else {
    d.error(root, "km.yaml needs 'listen: HOST:PORT', e.g. listen: 127.0.0.1:9443");
  }
  if (const Entry* f = m.get("tls")) parse_tls(d, *f, base, out);
  if (const Entry* f = m.get("issuer")) {
    if (auto s = read_string(d, *f, "issuer")) {
      if (!s->starts_with("https://") && !s->starts_with("http://"))
        d.error(f->value, "'issuer' must be the key manager's base URL, e.g. https://km.example:9443");
      else out.issuer = *s;
      while (out.issuer.ends_with('/')) out.issuer.pop_back();
    }
  }
  if (const Entry* f = m.get("audiences")) {
    if (!f->value.IsSequence()) d.error(f->value, "'audiences' must be a list of strings");
    else
      for (const auto& a : f->value) out.audiences.push_back(a.as<std::string>(""));
  }
  if (const Entry* f = m.get("store")) {
    if (auto s = read_string(d, *f, "store")) {
      out.store_url = *s;
      if (!s->starts_with("postgresql://") && !s->starts_with("postgres://") && !s->starts_with("sqlite://")) {
        fs::path p(*s);
        out.store_url = "sqlite://" + (p.is_absolute() ? p : base / p).lexically_normal().string();
      }
    }
  } else {
    d.error(root, "km.yaml needs 'store': a SQLite file (e.g. store: km.db) or a postgresql:// URL");
  }
  if (const Entry* f = m.get("project")) {
    if (auto s = read_string(d, *f, "project")) {
      fs::path p(*s);
      out.project = (p.is_absolute() ? p : base / p).lexically_normal();
      if (!fs::is_directory(out.project)) d.error(f->value, "'project' must be a gateway project folder");
    }
  }
  parse_secrets(d, m, &whole, base, out);
  if (const Entry* f = m.get("signing")) parse_signing(d, *f, out);
  if (const Entry* f = m.get("tokens")) parse_tokens(d, *f, out);
  if (const Entry* f = m.get("failed_auth")) parse_failed_auth(d, *f, out);
}

}  // namespace

KmLoadResult load_km_config(const fs::path& file) {
  KmLoadResult result;
  Diagnostics d(result.diagnostics, file.string());
  YAML::Node root;
  try {
    root = YAML::LoadFile(file.string());
  } catch (const YAML::BadFile&) {
    d.error("cannot read " + file.string());
    return result;
  } catch (const YAML::ParserException& e) {
    d.error(e.mark, "not valid YAML: " + e.msg);
    return result;
  }
  KmConfig cfg;
  const fs::path base = fs::absolute(file).parent_path();
  parse_root(d, root, base, cfg);
  if (cfg.tls_cert.empty() != cfg.tls_key.empty()) d.error("'tls' needs both cert_file and key_file");
  if (cfg.tls_cert.empty() && !cfg.listen.text.starts_with("127.") && !cfg.listen.text.starts_with("[::1]") &&
      d.count() == 0)
    d.error("plain HTTP is only for loopback: set 'tls: {cert_file, key_file}' or listen on 127.0.0.1");
  if (cfg.issuer.empty()) cfg.issuer = (cfg.tls_cert.empty() ? "http://" : "https://") + cfg.listen.text;
  if (cfg.audiences.empty()) cfg.audiences.push_back("postern");
  if (d.count() == 0) result.config = std::move(cfg);
  return result;
}

}  // namespace postern::keymanager
