#include "filters/backend_jwt/backend_jwt.h"

#include <fstream>
#include <sstream>

#include "core/strings.h"
#include "jose/signer.h"

namespace postern::filters {
namespace {

constexpr size_t kMaxCachedPerWorker = 10'000;

void add(std::string& json, std::string_view name, std::string_view value) {
  if (json.size() > 1) json += ',';
  json += '"';
  append_json_escaped(json, name);
  json += "\":\"";
  append_json_escaped(json, value);
  json += '"';
}

}  // namespace

std::shared_ptr<BackendJwtSigner> BackendJwtSigner::build(const config::BackendJwt& cfg, SlotRegistry& slots,
                                                          std::string& error) {
  std::ifstream in(cfg.key_file, std::ios::binary);
  std::stringstream pem;
  pem << in.rdbuf();
  if (!in) {
    error = "backend_jwt (" + cfg.source + "): cannot read " + cfg.key_file.string();
    return nullptr;
  }
  jose::Key key;
  if (Status st = jose::Key::from_pem(pem.str(), key); !st) {
    error = "backend_jwt (" + cfg.source + "): " + cfg.key_file.string() + ": " + st.message();
    return nullptr;
  }
  const jose::Alg alg = jose::default_signing_alg(key).value_or(jose::Alg::kRS256);
  if (!key.can_sign(alg)) {
    error = "backend_jwt (" + cfg.source + "): " + cfg.key_file.string() + " is not a private key that can sign";
    return nullptr;
  }
  return with_key(std::move(key), alg, cfg, slots);
}

std::shared_ptr<BackendJwtSigner> BackendJwtSigner::with_key(jose::Key key, jose::Alg alg,
                                                             const config::BackendJwt& cfg, SlotRegistry& slots) {
  auto s = std::make_shared<BackendJwtSigner>();
  s->key_ = std::move(key);
  s->alg_ = alg;
  s->header_ = cfg.header;
  for (char& c : s->header_) c = ascii_lower(c);
  s->issuer_ = cfg.issuer;
  s->lifetime_s_ = std::max<int64_t>(1, cfg.lifetime.count() / 1000);
  s->cache_ = slots.declare<Cache>([](const SlotEnv&) { return std::make_unique<Cache>(); });
  return s;
}

const std::string& BackendJwtSigner::assertion(const std::shared_ptr<const Identity>& id, WorkerSlots& slots,
                                               int64_t now) const {
  Cache& cache = slots.get(cache_);
  auto it = cache.find(id.get());
  if (it != cache.end() && now < it->second.refresh_after) return it->second.token;
  if (cache.size() >= kMaxCachedPerWorker) cache.clear();  // bounded; rebuilt on demand
  int64_t exp = now + lifetime_s_;
  if (id->expires_at > 0 && id->expires_at < exp) exp = id->expires_at;
  std::string json = "{";
  add(json, "iss", issuer_);
  add(json, "sub", id->subject);
  json += ",\"iat\":" + std::to_string(now) + ",\"exp\":" + std::to_string(exp);
  std::string scopes;
  for (const auto& sc : id->scopes) scopes += (scopes.empty() ? "" : " ") + sc;
  if (!scopes.empty()) add(json, "scope", scopes);
  std::string_view keytype = id->sandbox ? "SANDBOX" : "PRODUCTION";
  add(json, "keytype", keytype);
  if (!id->consumer_key.empty()) add(json, "consumerKey", id->consumer_key);
  add(json, "http://wso2.org/claims/enduser", id->subject);
  add(json, "http://wso2.org/claims/keytype", keytype);
  if (!id->consumer_key.empty()) add(json, "http://wso2.org/claims/client_id", id->consumer_key);
  if (!id->application_id.empty()) add(json, "http://wso2.org/claims/applicationid", id->application_id);
  if (!id->application_name.empty()) add(json, "http://wso2.org/claims/applicationname", id->application_name);
  if (!id->application_tier.empty()) add(json, "http://wso2.org/claims/applicationtier", id->application_tier);
  if (!id->subscription_tier.empty()) add(json, "http://wso2.org/claims/tier", id->subscription_tier);
  add(json, "http://postern.dev/claims/auth_scheme", id->scheme);
  json += "}";
  Entry e;
  e.identity = id;
  if (!jose::sign(alg_, key_, "\"typ\":\"JWT\"", json, e.token)) e.token.clear();
  e.refresh_after = std::max(now + 1, exp - 30);  // re-sign shortly before it expires
  auto& slot = cache[id.get()] = std::move(e);
  return slot.token;
}

std::shared_ptr<const Filter> BackendJwtFilter::for_route(const FilterServices& services,
                                                          const config::Route& /*route*/) {
  // On every route, open ones too: a client's copy of the header must never reach a
  // backend that trusts it.
  return services.backend_jwt ? std::make_shared<BackendJwtFilter>(services.backend_jwt) : nullptr;
}

FilterStatus BackendJwtFilter::on_request(RequestContext& ctx) const {
  ctx.upstream_headers.remove(signer_->header());
  if (!ctx.identity) return FilterStatus::kContinue;  // open route: nobody to vouch for
  const std::string& token = signer_->assertion(ctx.identity, ctx.slots, ctx.now_unix);
  if (token.empty()) {
    ctx.reply = error_reply(500, 500, "Internal Server Error", "the gateway could not sign the backend JWT",
                            ReplyReason::kInternal, ErrorSource::kGateway, "backend_jwt_sign_failed");
    return FilterStatus::kReply;
  }
  ctx.upstream_headers.add(signer_->header(), token);
  return FilterStatus::kContinue;
}

}  // namespace postern::filters
