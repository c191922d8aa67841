#include "cli/token_command.h"

#include <openssl/rand.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>

#include "core/strings.h"
#include "jose/key.h"
#include "jose/signer.h"

namespace postern::cli {
namespace {

void add_string(std::string& json, std::string_view name, std::string_view value) {
  if (json.size() > 1) json += ',';
  json += '"';
  json += name;
  json += "\":\"";
  append_json_escaped(json, value);
  json += '"';
}

std::string random_hex(size_t bytes) {
  std::vector<unsigned char> b(bytes);
  RAND_bytes(b.data(), int(bytes));
  std::string out;
  for (unsigned char c : b) append_hex(out, c, 2);
  return out;
}

}  // namespace

int run_token(const TokenOptions& o) {
  std::ifstream in(o.key_file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "postern token: cannot read key file '%s'\n", o.key_file.c_str());
    return 1;
  }
  std::stringstream pem;
  pem << in.rdbuf();
  jose::Key key;
  if (Status s = jose::Key::from_pem(pem.str(), key, o.kid); !s) {
    std::fprintf(stderr, "postern token: %s: %s\n", o.key_file.c_str(), s.message().c_str());
    return 1;
  }
  std::optional<jose::Alg> alg;
  if (!o.alg.empty()) {
    alg = jose::alg_from_name(o.alg);
    if (!alg) {
      std::fprintf(stderr, "postern token: unknown algorithm '%s'\n", o.alg.c_str());
      return 1;
    }
  } else {
    alg = jose::default_signing_alg(key);
  }
  if (!alg || !key.can_sign(*alg)) {
    std::fprintf(stderr, "postern token: '%s' is not a private key that can sign %s\n", o.key_file.c_str(),
                 alg ? std::string(jose::alg_name(*alg)).c_str() : "JWTs");
    return 1;
  }
  int64_t now = int64_t(std::time(nullptr));
  std::string json = "{";
  add_string(json, "iss", o.issuer);
  add_string(json, "sub", o.subject);
  if (o.audiences.size() == 1) {
    add_string(json, "aud", o.audiences[0]);
  } else if (!o.audiences.empty()) {
    json += ",\"aud\":[";
    for (size_t i = 0; i < o.audiences.size(); ++i) {
      if (i) json += ',';
      json += '"';
      append_json_escaped(json, o.audiences[i]);
      json += '"';
    }
    json += ']';
  }
  json += ",\"iat\":" + std::to_string(now) + ",\"nbf\":" + std::to_string(now) +
          ",\"exp\":" + std::to_string(now + o.lifetime_seconds);
  add_string(json, "jti", random_hex(16));
  if (!o.scopes.empty()) add_string(json, "scope", o.scopes);
  add_string(json, "keytype", o.keytype);
  add_string(json, "azp", o.consumer_key);
  add_string(json, "consumerKey", o.consumer_key);
  json += ",\"application\":{";
  std::string app = "{";
  add_string(app, "id", o.app_id);
  add_string(app, "name", o.app_name);
  add_string(app, "tier", o.app_tier);
  add_string(app, "owner", o.subject);
  json += app.substr(1) + "}";
  json += ",\"subscribedAPIs\":[";
  for (size_t i = 0; i < o.apis.size(); ++i) {
    const std::string& a = o.apis[i];
    size_t colon = a.rfind(':');
    std::string name = colon == std::string::npos ? a : a.substr(0, colon);
    std::string version = colon == std::string::npos ? "*" : a.substr(colon + 1);
    std::string entry = "{";
    add_string(entry, "name", name);
    add_string(entry, "version", version);
    add_string(entry, "subscriptionTier", o.tier);
    add_string(entry, "publisher", "admin");
    json += (i ? "," : "") + entry + "}";
  }
  json += "]";
  if (!o.allowed_apis.empty()) {
    json += ",\"allowedAPIs\":[";
    for (size_t i = 0; i < o.allowed_apis.size(); ++i) {
      const std::string& a = o.allowed_apis[i];
      size_t colon = a.rfind(':');
      std::string entry = "{";
      add_string(entry, "name", colon == std::string::npos ? a : a.substr(0, colon));
      add_string(entry, "version", colon == std::string::npos ? "*" : a.substr(colon + 1));
      json += (i ? "," : "") + entry + "}";
    }
    json += "]";
  }
  for (const auto& c : o.extra_claims) {
    size_t eq = c.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "postern token: --claim needs NAME=VALUE (got '%s')\n", c.c_str());
      return 2;
    }
    std::string name = c.substr(0, eq);
    if (json.find("\"" + name + "\":") != std::string::npos) {
      std::fprintf(stderr, "postern token: --claim %s would repeat a claim the token already has\n", name.c_str());
      return 2;
    }
    std::string escaped;
    append_json_escaped(escaped, name);
    json += ",\"" + escaped + "\":\"";
    append_json_escaped(json, c.substr(eq + 1));
    json += '"';
  }
  json += "}";
  std::string token;
  if (Status s = jose::sign(*alg, key, "\"typ\":\"JWT\"", json, token); !s) {
    std::fprintf(stderr, "postern token: %s\n", s.message().c_str());
    return 1;
  }
  std::printf("%s\n", token.c_str());
  return 0;
}

int run_jwks(const std::vector<std::string>& key_files, const std::vector<std::string>& kids) {
  std::string out = "{\"keys\":[";
  for (size_t i = 0; i < key_files.size(); ++i) {
    std::ifstream in(key_files[i], std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "postern jwks: cannot read key file '%s'\n", key_files[i].c_str());
      return 1;
    }
    std::stringstream pem;
    pem << in.rdbuf();
    jose::Key key;
    std::string kid = i < kids.size() ? kids[i] : std::string();
    if (Status s = jose::Key::from_pem(pem.str(), key, kid); !s) {
      std::fprintf(stderr, "postern jwks: %s: %s\n", key_files[i].c_str(), s.message().c_str());
      return 1;
    }
    auto jwk = key.to_public_jwk();
    if (!jwk) {
      std::fprintf(stderr, "postern jwks: %s has no public key to publish\n", key_files[i].c_str());
      return 1;
    }
    out += (i ? "," : "") + *jwk;
  }
  out += "]}";
  std::printf("%s\n", out.c_str());
  return 0;
}

}  // namespace postern::cli
