#include "km_fixture.h"

#include <simdjson.h>

namespace postern::keymanager::testing {

namespace fs = std::filesystem;

std::string basic(const std::string& id, const std::string& secret) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string in = id + ":" + secret, out;
  for (size_t i = 0; i < in.size(); i += 3) {
    unsigned n = (unsigned char)in[i] << 16;
    if (i + 1 < in.size()) n |= (unsigned char)in[i + 1] << 8;
    if (i + 2 < in.size()) n |= (unsigned char)in[i + 2];
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < in.size() ? kAlphabet[n & 63] : '=';
  }
  return "Basic " + out;
}

KmTest::KmTest() {
  std::string tmpl = (fs::temp_directory_path() / "postern-km-unit-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
  dir_ = tmpl;
  setenv("POSTERN_KM_TEST_MASTER_KEY", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", 1);
  sealer_ = std::make_unique<KeySealer>(KeySealer::from_env_or_file("POSTERN_KM_TEST_MASTER_KEY", ""));
  store_ = std::make_unique<SqliteKeyStore>((dir_ / "km.db").string());
  config_.issuer = "https://km.test";
  config_.audiences = {"postern"};
  config_.failed_auth_max = 3;
  manage_ = std::make_unique<Management>(*store_, catalog_);
  km_ = std::make_unique<KeyManager>(config_, *store_, *sealer_, catalog_);
  km_->maintain(kNow);
}

KmTest::~KmTest() {
  km_.reset();
  store_.reset();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

KmResponse KmTest::post(const std::string& path, const std::string& body, const std::string& authorization, int64_t now,
                        const std::string& ip) {
  KmRequest req;
  req.method = "POST";
  req.path = path;
  req.headers.emplace_back("content-type", "application/x-www-form-urlencoded");
  if (!authorization.empty()) req.headers.emplace_back("authorization", authorization);
  req.body = body;
  req.client_ip = ip;
  return km_->handle(req, now);
}

KmResponse KmTest::get(const std::string& path, int64_t now) {
  KmRequest req;
  req.method = "GET";
  req.path = path;
  req.client_ip = "192.0.2.1";
  return km_->handle(req, now);
}

RegisteredClient KmTest::client(const std::string& app, const std::string& public_key_pem) {
  if (!store_->get_application_by_name(app)) {
    EXPECT_TRUE(manage_->create_app(app, "Gold", "owner-" + app).ok);
  }
  ManagementResult r = manage_->create_client(app, "PRODUCTION", public_key_pem);
  EXPECT_TRUE(r.ok) << r.text;
  return {member(r.text, "client_id"), member(r.text, "client_secret")};
}

std::optional<jose::JwtClaims> KmTest::verified_claims(const std::string& token, int64_t now) {
  jose::KeySet keys;
  std::vector<std::string> skipped;
  if (!jose::KeySet::parse_jwks(get("/oauth2/jwks", now).body, keys, skipped)) return std::nullopt;
  jose::DecodedJwt jwt;
  if (jose::decode(token, jwt) != jose::JwtError::kNone) return std::nullopt;
  if (jose::verify_with_keys(jwt, keys, jose::AlgSet::all()) != jose::JwtError::kNone) return std::nullopt;
  return jwt.claims;
}

std::string member(const std::string& json, const std::string& name) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json).get(doc)) return "";
  simdjson::dom::element v;
  if (doc[name].get(v)) return "";
  if (v.is_string()) return std::string(v.get_string().value());
  return simdjson::minify(v);
}

}  // namespace postern::keymanager::testing
