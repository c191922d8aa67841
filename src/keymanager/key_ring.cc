#include "keymanager/key_ring.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <memory>

#include "core/log.h"
#include "keymanager/secret_hash.h"

namespace postern::keymanager {

namespace {

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, n > 0 ? size_t(n) : 0);
}

EVP_PKEY* keygen(jose::Alg alg) {
  switch (alg) {
    case jose::Alg::kES256: return EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    case jose::Alg::kEdDSA: return EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    default: return EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048});
  }
}

bool signs_at(const SigningKey& k, int64_t now) { return k.signs_from <= now && now < k.signs_until; }

}  // namespace

bool generate_key_pem(jose::Alg alg, std::string& private_pem, std::string& public_pem) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(keygen(alg), EVP_PKEY_free);
  if (!key) return false;
  std::unique_ptr<BIO, decltype(&BIO_free)> priv(BIO_new(BIO_s_mem()), BIO_free), pub(BIO_new(BIO_s_mem()), BIO_free);
  if (!priv || !pub || !PEM_write_bio_PrivateKey(priv.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) ||
      !PEM_write_bio_PUBKEY(pub.get(), key.get()))
    return false;
  private_pem = bio_text(priv.get());
  public_pem = bio_text(pub.get());
  return true;
}

SigningKey KeyRing::make_key(int64_t signs_from, int64_t now) {
  std::string private_pem, public_pem;
  if (!generate_key_pem(schedule_.alg, private_pem, public_pem)) throw StoreError("cannot generate a signing key");
  SigningKey k;
  k.kid = random_token(12);
  k.alg = std::string(jose::alg_name(schedule_.alg));
  k.private_pem_sealed = sealer_.seal(private_pem);
  k.public_pem = public_pem;
  k.created_at = now;
  k.signs_from = signs_from;
  k.signs_until = signs_from + schedule_.key_lifetime;
  k.published_until = k.signs_until + schedule_.token_lifetime;
  store_.add_signing_key(k);
  log::info("keymanager: new signing key {} ({}), signs from {} until {}", k.kid, k.alg, k.signs_from, k.signs_until);
  return k;
}

void KeyRing::reload() { records_ = store_.signing_keys(); }

void KeyRing::maintain(int64_t now) {
  store_.delete_expired_keys(now);
  reload();
  int64_t last_turn_ends = 0;
  bool any_signs = false;
  for (const auto& k : records_) {
    any_signs = any_signs || signs_at(k, now);
    last_turn_ends = std::max(last_turn_ends, k.signs_until);
  }
  if (!any_signs) {
    make_key(now, now);
    reload();
  } else if (last_turn_ends - now <= schedule_.publish_ahead) {
    make_key(last_turn_ends, now);  // published now, signs when the current key's turn ends
    reload();
  }
}

std::string KeyRing::rotate(int64_t now) {
  SigningKey k = make_key(now + schedule_.publish_ahead, now);
  // The keys it replaces stop signing when it starts, and leave the JWKS once their last
  // token has expired: a rotation after a suspected leak retires the old key in
  // publish_ahead + the token lifetime, not at the end of its own turn.
  store_.end_turns_before(k.kid, k.signs_from, k.signs_from + schedule_.token_lifetime);
  reload();
  return k.kid;
}

const jose::Key* KeyRing::open(const SigningKey& record) {
  if (auto it = opened_.find(record.kid); it != opened_.end()) return &it->second;
  auto pem = sealer_.open(record.private_pem_sealed);
  jose::Key key;
  if (!pem || !jose::Key::from_pem(*pem, key, record.kid)) {
    log::error("keymanager: signing key {} cannot be opened (wrong master key?)", record.kid);
    return nullptr;
  }
  return &opened_.emplace(record.kid, std::move(key)).first->second;
}

const jose::Key* KeyRing::signer(int64_t now) {
  auto current = [&]() -> const SigningKey* {
    const SigningKey* best = nullptr;
    for (const auto& k : records_)
      if (signs_at(k, now) && (!best || k.signs_from > best->signs_from)) best = &k;
    return best;
  };
  const SigningKey* key = current();
  if (!key) {
    maintain(now);  // the turn of the key in memory ended (a successor may be in the store)
    key = current();
  }
  return key ? open(*key) : nullptr;
}

std::string KeyRing::jwks(int64_t now) {
  reload();
  std::string out = "{\"keys\":[";
  bool first = true;
  for (const auto& k : records_) {
    if (k.published_until <= now) continue;
    jose::Key pub;
    if (!jose::Key::from_pem(k.public_pem, pub, k.kid)) continue;
    auto jwk = pub.to_public_jwk();
    if (!jwk) continue;
    out += first ? "" : ",";
    out += *jwk;
    first = false;
  }
  return out + "]}";
}

const jose::Key* KeyRing::find(std::string_view kid, int64_t now) {
  auto match = [&](const SigningKey& k) { return k.kid == kid && k.published_until > now; };
  auto it = std::find_if(records_.begin(), records_.end(), match);
  if (it == records_.end()) {
    reload();  // another replica may have made it
    it = std::find_if(records_.begin(), records_.end(), match);
    if (it == records_.end()) return nullptr;
  }
  return open(*it);
}

}  // namespace postern::keymanager
