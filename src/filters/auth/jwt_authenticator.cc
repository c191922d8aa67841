#include "filters/auth/jwt_authenticator.h"

#include <fstream>
#include <sstream>

#include "core/strings.h"
#include "jose/jwt.h"
#include "jose/key.h"
#include "jose/verifier.h"

namespace postern::filters {
namespace {

bool read_file(const std::filesystem::path& p, std::string& out) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

}  // namespace

std::shared_ptr<JwtAuthenticator> JwtAuthenticator::build(const config::SecurityConfig& security, unsigned workers,
                                                          SlotRegistry& slots, std::string& error,
                                                          std::vector<std::string> capture_claims) {
  auto auth = std::make_shared<JwtAuthenticator>();
  const size_t entries = security.token_cache_entries;
  auth->cache_ = slots.declare<TokenCache>([entries](const SlotEnv&) { return std::make_unique<TokenCache>(entries); });
  auth->capture_claims_ = std::move(capture_claims);
  for (const auto& cfg : security.issuers) {
    auto owned = std::make_unique<Issuer>();
    Issuer& iss = *owned;
    jose::KeySet keys;
    iss.name = cfg.name;
    const std::string where = "issuer '" + cfg.name + "' (" + cfg.source + "): ";
    if (!cfg.certificate.empty()) {
      std::string pem;
      jose::Key key;
      if (!read_file(cfg.certificate, pem)) {
        error = where + "cannot read " + cfg.certificate.string();
        return nullptr;
      }
      if (Status s = jose::Key::from_pem(pem, key); !s) {
        error = where + cfg.certificate.string() + ": " + s.message();
        return nullptr;
      }
      keys.add(std::move(key));
    } else if (!cfg.jwks_file.empty()) {
      std::string json;
      std::vector<std::string> skipped;
      if (!read_file(cfg.jwks_file, json)) {
        error = where + "cannot read " + cfg.jwks_file.string();
        return nullptr;
      }
      if (Status s = jose::KeySet::parse_jwks(json, keys, skipped); !s) {
        error = where + cfg.jwks_file.string() + ": " + s.message();
        return nullptr;
      }
      if (keys.empty()) {
        error = where + cfg.jwks_file.string() + " has no usable key" +
                (skipped.empty() ? std::string() : " (" + skipped.front() + ")");
        return nullptr;
      }
    } else if (!cfg.hmac_secret.empty()) {
      jose::Key key;
      if (Status s = jose::Key::from_secret(cfg.hmac_secret, key); !s) {
        error = where + s.message();
        return nullptr;
      }
      keys.add(std::move(key));
    }
    if (cfg.jwks_url.empty()) iss.keys.store(std::make_shared<const jose::KeySet>(std::move(keys)));
    iss.jwks_url = cfg.jwks_url;
    iss.min_refetch_ms = cfg.jwks_min_refetch.count();
    if (cfg.algorithms.empty()) {
      // Default allow-list: what the configured keys can verify (never a mix an attacker
      // could exploit: an RSA key never verifies HS*, an HMAC secret never verifies RS*).
      iss.allowed = jose::AlgSet::all();
    } else {
      for (const auto& name : cfg.algorithms) {
        if (auto a = jose::alg_from_name(name)) iss.allowed.insert(*a);
      }
    }
    iss.policy.issuer = cfg.issuer;
    iss.policy.audiences = cfg.audiences;
    iss.policy.leeway_seconds = cfg.leeway.count() / 1000;
    iss.policy.require_exp = true;
    iss.validate_subscription = cfg.validate_subscription;
    iss.consumer_key_claim = cfg.consumer_key_claim;
    iss.subject_claim = cfg.subject_claim;
    iss.scopes_claim = cfg.scopes_claim;
    if (!cfg.revocations_url.empty()) auth->polled_issuers_.push_back(auth->issuers_.size());
    auth->issuers_.push_back(std::move(owned));
  }
  for (const auto& j : security.revoked_jtis) auth->revoked_jtis_.insert(j);
  auth->runtime_revoked_.resize(std::max(1u, workers));
  auth->polled_revoked_.assign(std::max(1u, workers),
                               std::vector<std::shared_ptr<const RevokedJtis>>(auth->polled_issuers_.size()));
  return auth;
}

JwtAuthenticator::Result JwtAuthenticator::authenticate(std::string_view token, WorkerSlots& slots, int64_t now) const {
  Result res;
  TokenCache& cache = slots.get(cache_);
  const unsigned worker = slots.worker_id();
  TokenDigest digest = digest_token(token);
  std::shared_ptr<const Identity> id = cache.find(digest, now);
  if (!id) {
    jose::DecodedJwt jwt;
    jose::JwtError err = jose::decode(token, jwt);
    if (err != jose::JwtError::kNone) {
      res.reason = jose::jwt_error_reason(err);
      return res;
    }
    const Issuer* iss = nullptr;
    size_t index = 0;
    for (size_t i = 0; i < issuers_.size(); ++i) {
      if (jwt.claims.iss && *jwt.claims.iss == issuers_[i]->policy.issuer) {
        iss = issuers_[i].get();
        index = i;
      }
    }
    if (iss == nullptr) {
      res.reason = "unknown_issuer";
      return res;
    }
    std::shared_ptr<const jose::KeySet> keys = iss->keys.load();
    if (!keys) {  // a jwks_url issuer whose keys have not arrived yet
      maybe_request_refetch(index, *iss);
      res.reason = "no_keys";
      return res;
    }
    err = jose::verify_with_keys(jwt, *keys, iss->allowed);
    if (err == jose::JwtError::kUnknownKid) maybe_request_refetch(index, *iss);
    if (err == jose::JwtError::kNone) err = jose::validate_claims(jwt.claims, iss->policy, now);
    if (err != jose::JwtError::kNone) {
      res.outcome = err == jose::JwtError::kExpired ? Outcome::kExpired : Outcome::kInvalid;
      res.reason = jose::jwt_error_reason(err);
      return res;
    }
    auto made = std::make_shared<Identity>();
    const auto& c = jwt.claims;
    made->scheme = "jwt";
    made->issuer = iss->name;
    made->subject = c.sub.value_or("");
    if (!iss->subject_claim.empty()) {
      auto v = c.claim_as_string(iss->subject_claim);
      made->subject = v.value_or("");
    }
    if (iss->consumer_key_claim == "azp" && c.azp) made->consumer_key = *c.azp;
    else if (iss->consumer_key_claim == "consumerKey" && c.consumer_key) made->consumer_key = *c.consumer_key;
    else if (iss->consumer_key_claim == "client_id" && c.client_id) made->consumer_key = *c.client_id;
    else if (auto v = c.claim_as_string(iss->consumer_key_claim)) made->consumer_key = *v;
    if (made->consumer_key.empty()) {
      made->consumer_key = c.consumer_key ? *c.consumer_key : c.azp ? *c.azp : c.client_id.value_or("");
    }
    if (c.application) {
      made->application_id = c.application->id;
      made->application_name = c.application->name;
      made->application_tier = c.application->tier;
    }
    made->jti = c.jti.value_or("");
    made->sandbox = c.keytype && iequals(*c.keytype, "SANDBOX");
    made->scopes = iss->scopes_claim.empty() ? c.scopes : c.claim_as_strings(iss->scopes_claim);
    made->expires_at = c.exp.value_or(0);
    made->validate_subscription = iss->validate_subscription;
    for (const auto& s : c.subscribed_apis) made->subscriptions.push_back({s.name, s.version, s.subscription_tier});
    for (const auto& name : capture_claims_) {
      if (auto v = c.claim_as_string(name)) made->claims.emplace_back(name, std::move(*v));
    }
    made->has_allowed_apis = c.has_allowed_apis;
    for (const auto& a : c.allowed_apis) made->allowed_apis.push_back({a.name, a.version, ""});
    id = made;
    cache.insert(digest, id);
  }
  if (revoked(*id, worker)) {
    res.reason = "revoked";
    return res;
  }
  res.outcome = Outcome::kOk;
  res.identity = std::move(id);
  return res;
}

// Checked on every request, cache hits included, so a revocation also ends tokens already
// verified.
bool JwtAuthenticator::revoked(const Identity& id, unsigned worker) const {
  if (id.jti.empty()) return false;
  if (revoked_jtis_.count(id.jti) || runtime_revoked_[worker % runtime_revoked_.size()].count(id.jti)) return true;
  const auto& polled = polled_revoked_[worker % polled_revoked_.size()];
  for (size_t k = 0; k < polled_issuers_.size(); ++k) {
    // Issuer names are unique (the config loader checks), so the name says whose list it is.
    if (polled[k] && issuers_[polled_issuers_[k]]->name == id.issuer && polled[k]->count(id.jti)) return true;
  }
  return false;
}

void JwtAuthenticator::add_runtime_revoked(unsigned worker, const std::string& jti) const {
  runtime_revoked_[worker % runtime_revoked_.size()].insert(jti);
}

void JwtAuthenticator::set_polled_revoked(unsigned worker, std::string_view iss,
                                          std::shared_ptr<const RevokedJtis> jtis) const {
  for (size_t k = 0; k < polled_issuers_.size(); ++k) {
    if (issuers_[polled_issuers_[k]]->policy.issuer == iss) {
      polled_revoked_[worker % polled_revoked_.size()][k] = std::move(jtis);
      return;
    }
  }
}

void JwtAuthenticator::set_keys(size_t issuer, std::shared_ptr<const jose::KeySet> keys) const {
  issuers_[issuer]->keys.store(std::move(keys));
}

void JwtAuthenticator::maybe_request_refetch(size_t index, const Issuer& iss) const {
  if (iss.jwks_url.empty() || !refetch_hook_) return;
  int64_t now = int64_t(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
  int64_t last = iss.last_refetch_ms.load(std::memory_order_relaxed);
  // Rate limit across workers: only the worker that wins the exchange asks.
  if (now - last < iss.min_refetch_ms) return;
  if (!iss.last_refetch_ms.compare_exchange_strong(last, now)) return;
  refetch_hook_(index);
}

}  // namespace postern::filters
