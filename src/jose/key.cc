#include "jose/key.h"

#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/pem.h>

#include <cstring>

#include "core/strings.h"
#include "jose/base64url.h"
#include "jose/json_util.h"
#include "jose/key_internal.h"
#include "jose/ossl_util.h"

namespace postern::jose {

using detail::BnPtr;
using detail::ParamBldPtr;
using detail::ParamPtr;
using detail::PkeyCtxPtr;
using detail::PkeyPtr;

Key::Impl::~Impl() { EVP_PKEY_free(pkey); }

namespace {

constexpr size_t kMaxKidBytes = 256;

bool pkey_has_private(EVP_PKEY* pkey) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_is_a(pkey, "RSA")) {
    bool ok = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_D, &bn) == 1;
    BN_clear_free(bn);
    return ok;
  }
  if (EVP_PKEY_is_a(pkey, "EC")) {
    bool ok = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &bn) == 1;
    BN_clear_free(bn);
    return ok;
  }
  size_t len = 0;
  return EVP_PKEY_get_raw_private_key(pkey, nullptr, &len) == 1 && len > 0;
}

Curve curve_from_group(std::string_view g) {
  if (g == "prime256v1" || g == "P-256" || g == "secp256r1") return Curve::kP256;
  if (g == "secp384r1" || g == "P-384") return Curve::kP384;
  if (g == "secp521r1" || g == "P-521") return Curve::kP521;
  return Curve::kNone;
}

// Classifies an EVP_PKEY into a Key; refuses types and curves JOSE does not use here.
Status make_key(PkeyPtr pkey, std::string_view kid, std::optional<Alg> alg, Key& out) {
  auto impl = std::make_shared<Key::Impl>();
  if (EVP_PKEY_is_a(pkey.get(), "RSA")) {
    impl->type = KeyType::kRsa;
  } else if (EVP_PKEY_is_a(pkey.get(), "EC")) {
    char group[64] = {0};
    size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(pkey.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &len) != 1) {
      return Status::error("EC key without a named curve");
    }
    impl->type = KeyType::kEc;
    impl->curve = curve_from_group(std::string_view(group, len));
    if (impl->curve == Curve::kNone) {
      return Status::error("unsupported EC curve " + std::string(group, len) +
                           " (P-256, P-384 and P-521 are supported)");
    }
  } else if (EVP_PKEY_is_a(pkey.get(), "ED25519")) {
    impl->type = KeyType::kOkp;
    impl->curve = Curve::kEd25519;
  } else {
    return Status::error(std::string("unsupported key type ") + EVP_PKEY_get0_type_name(pkey.get()) +
                         " (RSA, EC and Ed25519 are supported)");
  }
  if (kid.size() > kMaxKidBytes) return Status::error("kid longer than 256 bytes");
  impl->bits = EVP_PKEY_get_bits(pkey.get());
  impl->has_private = pkey_has_private(pkey.get());
  impl->kid = std::string(kid);
  impl->alg = alg;
  impl->pkey = pkey.release();
  KeyAccess::set(out, std::move(impl));
  return {};
}

int no_passphrase(char*, size_t, size_t*, const OSSL_PARAM[], void*) { return 0; }

// ---- JWK ----------------------------------------------------------------------------

// Reads an optional string member; a present non-string is an error.
Status opt_string(simdjson::dom::object obj, const char* name, std::optional<std::string_view>& out) {
  simdjson::dom::element e;
  if (obj.at_key(name).get(e) != simdjson::SUCCESS) return {};
  std::string_view s;
  if (e.get_string().get(s) != simdjson::SUCCESS) {
    return Status::error(std::string("JWK member \"") + name + "\" is not a string");
  }
  out = s;
  return {};
}

// Reads a base64url member into bytes; `required` decides whether absence is an error.
Status b64_member(simdjson::dom::object obj, const char* name, bool required, std::optional<std::string>& out) {
  std::optional<std::string_view> s;
  if (Status st = opt_string(obj, name, s); !st) return st;
  if (!s) {
    if (required) return Status::error(std::string("JWK lacks \"") + name + "\"");
    return {};
  }
  std::string bytes;
  if (!base64url_decode(*s, bytes) || bytes.empty()) {
    return Status::error(std::string("JWK member \"") + name + "\" is not base64url");
  }
  out = std::move(bytes);
  return {};
}

BIGNUM* to_bn(const std::string& bytes) {
  return BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()), nullptr);
}

Status from_params(const char* type, OSSL_PARAM_BLD* bld, bool priv, PkeyPtr& out) {
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* pkey = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return Status::error(std::string("JWK is not a valid ") + type + " key");
  }
  out.reset(pkey);
  return {};
}

Status rsa_from_jwk(simdjson::dom::object obj, PkeyPtr& out) {
  std::optional<std::string> n, e, d, p, q, dp, dq, qi;
  for (auto [name, field, req] : {std::tuple{"n", &n, true},
                                  {"e", &e, true},
                                  {"d", &d, false},
                                  {"p", &p, false},
                                  {"q", &q, false},
                                  {"dp", &dp, false},
                                  {"dq", &dq, false},
                                  {"qi", &qi, false}}) {
    if (Status st = b64_member(obj, name, req, *field); !st) return st;
  }
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  std::vector<BnPtr> bns;
  auto push = [&](const char* key, const std::string& bytes) {
    bns.emplace_back(to_bn(bytes));
    return bns.back() && OSSL_PARAM_BLD_push_BN(bld.get(), key, bns.back().get()) == 1;
  };
  bool ok = bld && push(OSSL_PKEY_PARAM_RSA_N, *n) && push(OSSL_PKEY_PARAM_RSA_E, *e);
  bool factors = p && q && dp && dq && qi;
  if (d) {
    ok = ok && push(OSSL_PKEY_PARAM_RSA_D, *d);
    if (factors) {
      ok = ok && push(OSSL_PKEY_PARAM_RSA_FACTOR1, *p) && push(OSSL_PKEY_PARAM_RSA_FACTOR2, *q) &&
           push(OSSL_PKEY_PARAM_RSA_EXPONENT1, *dp) && push(OSSL_PKEY_PARAM_RSA_EXPONENT2, *dq) &&
           push(OSSL_PKEY_PARAM_RSA_COEFFICIENT1, *qi);
    }
  }
  if (!ok) return Status::error("JWK RSA parameters rejected");
  return from_params("RSA", bld.get(), d.has_value(), out);
}

Status ec_from_jwk(simdjson::dom::object obj, Curve& curve, PkeyPtr& out) {
  std::optional<std::string_view> crv;
  if (Status st = opt_string(obj, "crv", crv); !st) return st;
  if (!crv) return Status::error("EC JWK lacks \"crv\"");
  const char* group = nullptr;
  if (*crv == "P-256") curve = Curve::kP256, group = "prime256v1";
  else if (*crv == "P-384") curve = Curve::kP384, group = "secp384r1";
  else if (*crv == "P-521") curve = Curve::kP521, group = "secp521r1";
  else return Status::error("unsupported EC curve " + std::string(*crv));
  size_t field = detail::ec_field_bytes(curve);
  std::optional<std::string> x, y, d;
  if (Status st = b64_member(obj, "x", true, x); !st) return st;
  if (Status st = b64_member(obj, "y", true, y); !st) return st;
  if (Status st = b64_member(obj, "d", false, d); !st) return st;
  // RFC 7518 §6.2.1.2: coordinates are exactly the field size.
  if (x->size() != field || y->size() != field || (d && d->size() != field)) {
    return Status::error("EC JWK coordinate of the wrong length for " + std::string(*crv));
  }
  std::string point;
  point.reserve(1 + 2 * field);
  point.push_back('\x04');
  point += *x;
  point += *y;
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  BnPtr priv(d ? to_bn(*d) : nullptr);
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1 ||
      (d && (!priv || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, priv.get()) != 1))) {
    return Status::error("JWK EC parameters rejected");
  }
  if (Status st = from_params("EC", bld.get(), d.has_value(), out); !st) return st;
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, out.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1 || (d && EVP_PKEY_pairwise_check(check.get()) != 1)) {
    return Status::error("EC JWK point is not a valid key on " + std::string(*crv));
  }
  return {};
}

Status okp_from_jwk(simdjson::dom::object obj, PkeyPtr& out) {
  std::optional<std::string_view> crv;
  if (Status st = opt_string(obj, "crv", crv); !st) return st;
  if (!crv || *crv != "Ed25519") return Status::error("unsupported OKP curve (Ed25519 is supported)");
  std::optional<std::string> x, d;
  if (Status st = b64_member(obj, "x", true, x); !st) return st;
  if (Status st = b64_member(obj, "d", false, d); !st) return st;
  if (x->size() != 32 || (d && d->size() != 32)) return Status::error("Ed25519 JWK of the wrong length");
  const auto* xb = reinterpret_cast<const unsigned char*>(x->data());
  if (d) {
    out.reset(
        EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(d->data()), 32));
    unsigned char pub[32];
    size_t len = sizeof(pub);
    if (!out || EVP_PKEY_get_raw_public_key(out.get(), pub, &len) != 1 || len != 32 || std::memcmp(pub, xb, 32) != 0) {
      return Status::error("Ed25519 JWK: x does not match d");
    }
  } else {
    out.reset(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, xb, 32));
    if (!out) return Status::error("Ed25519 JWK: invalid x");
  }
  return {};
}

bool alg_fits(Alg alg, KeyType type, Curve curve) {
  switch (type) {
    case KeyType::kRsa: return alg <= Alg::kPS512;
    case KeyType::kEc: return detail::alg_curve(alg) == curve;
    case KeyType::kOkp: return alg == Alg::kEdDSA;
    case KeyType::kOct: return is_hmac(alg);
    case KeyType::kNone: return false;
  }
  return false;
}

}  // namespace

namespace detail {

Status key_from_jwk_object(simdjson::dom::object obj, Key& out) {
  if (has_duplicate_members(obj)) return Status::error("JWK has a duplicate member");
  std::optional<std::string_view> kty, kid, use, alg_name_sv;
  for (auto [name, field] : {std::pair{"kty", &kty}, {"kid", &kid}, {"use", &use}, {"alg", &alg_name_sv}}) {
    if (Status st = opt_string(obj, name, *field); !st) return st;
  }
  if (!kty) return Status::error("JWK lacks \"kty\"");
  if (use && *use != "sig") return Status::error("JWK use is \"" + std::string(*use) + "\", not \"sig\"");
  if (kid && kid->size() > kMaxKidBytes) return Status::error("JWK kid longer than 256 bytes");
  std::optional<Alg> alg;
  if (alg_name_sv) {
    alg = alg_from_name(*alg_name_sv);
    if (!alg) return Status::error("JWK alg \"" + std::string(*alg_name_sv) + "\" is not supported");
  }
  std::string_view kid_sv = kid.value_or(std::string_view());
  Key key;
  if (*kty == "oct") {
    std::optional<std::string> k;
    if (Status st = b64_member(obj, "k", true, k); !st) return st;
    auto impl = std::make_shared<Key::Impl>();
    impl->type = KeyType::kOct;
    impl->bits = static_cast<int>(k->size() * 8);
    impl->has_private = true;
    impl->kid = std::string(kid_sv);
    impl->alg = alg;
    impl->secret = std::move(*k);
    KeyAccess::set(key, std::move(impl));
  } else {
    PkeyPtr pkey;
    Curve curve = Curve::kNone;
    Status st;
    if (*kty == "RSA") st = rsa_from_jwk(obj, pkey);
    else if (*kty == "EC") st = ec_from_jwk(obj, curve, pkey);
    else if (*kty == "OKP") st = okp_from_jwk(obj, pkey);
    else return Status::error("unsupported JWK kty \"" + std::string(*kty) + "\"");
    if (!st) return st;
    if (st = make_key(std::move(pkey), kid_sv, alg, key); !st) return st;
  }
  if (alg && !alg_fits(*alg, key.type(), key.curve())) {
    return Status::error("JWK alg " + std::string(alg_name(*alg)) + " does not fit its key type");
  }
  out = std::move(key);
  return {};
}

}  // namespace detail

Status Key::from_jwk(std::string_view json, Key& out) {
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  switch (detail::parse_strict_object(parser, json, false, obj)) {
    case detail::JsonStatus::kOk: break;
    case detail::JsonStatus::kDuplicate: return Status::error("JWK has a duplicate member");
    default: return Status::error("JWK is not a JSON object");
  }
  return detail::key_from_jwk_object(obj, out);
}

Status Key::from_pem(std::string_view pem, Key& out, std::string_view kid) {
  size_t begin = pem.find("-----BEGIN ");
  if (begin == std::string_view::npos) return Status::error("no PEM block found");
  detail::BioPtr bio(BIO_new_mem_buf(pem.data() + begin, static_cast<int>(pem.size() - begin)));
  if (!bio) return Status::error("out of memory");
  PkeyPtr pkey;
  if (pem.substr(begin + 11).starts_with("CERTIFICATE-----")) {
    detail::X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) return Status::error("invalid PEM certificate");
    pkey.reset(X509_get_pubkey(cert.get()));
    if (!pkey) return Status::error("certificate public key is not usable");
  } else {
    EVP_PKEY* raw = nullptr;
    OSSL_DECODER_CTX* dctx = OSSL_DECODER_CTX_new_for_pkey(&raw, "PEM", nullptr, nullptr, 0, nullptr, nullptr);
    if (!dctx) return Status::error("out of memory");
    OSSL_DECODER_CTX_set_passphrase_cb(dctx, no_passphrase, nullptr);
    int ok = OSSL_DECODER_from_bio(dctx, bio.get());
    OSSL_DECODER_CTX_free(dctx);
    pkey.reset(raw);
    if (ok != 1 || !pkey) {
      return Status::error(
          "invalid or encrypted PEM key (a certificate, public key or unencrypted private key is expected)");
    }
  }
  return make_key(std::move(pkey), kid, std::nullopt, out);
}

std::optional<std::string> public_key_der(const Key& key) {
  const Key::Impl* impl = KeyAccess::impl(key);
  if (!impl || !impl->pkey) return std::nullopt;
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(impl->pkey, &der);
  if (len <= 0) return std::nullopt;
  std::string out(reinterpret_cast<const char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

Status Key::from_secret(std::string_view secret, Key& out, std::string_view kid) {
  if (secret.empty()) return Status::error("empty HMAC secret");
  if (kid.size() > kMaxKidBytes) return Status::error("kid longer than 256 bytes");
  auto impl = std::make_shared<Impl>();
  impl->type = KeyType::kOct;
  impl->bits = static_cast<int>(secret.size() * 8);
  impl->has_private = true;
  impl->kid = std::string(kid);
  impl->secret = std::string(secret);
  out.impl_ = std::move(impl);
  return {};
}

bool Key::can_verify(Alg alg) const {
  if (!impl_) return false;
  if (impl_->alg && *impl_->alg != alg) return false;
  switch (impl_->type) {
    case KeyType::kRsa: return alg <= Alg::kPS512 && impl_->bits >= 2048;
    case KeyType::kEc: return detail::alg_curve(alg) == impl_->curve;
    case KeyType::kOkp: return alg == Alg::kEdDSA;
    case KeyType::kOct: return is_hmac(alg) && impl_->secret.size() >= detail::hmac_min_secret(alg);
    case KeyType::kNone: return false;
  }
  return false;
}

bool Key::can_sign(Alg alg) const { return can_verify(alg) && impl_->has_private; }

KeyType Key::type() const { return impl_ ? impl_->type : KeyType::kNone; }
Curve Key::curve() const { return impl_ ? impl_->curve : Curve::kNone; }
int Key::bits() const { return impl_ ? impl_->bits : 0; }
bool Key::has_private() const { return impl_ && impl_->has_private; }
const std::string& Key::kid() const {
  static const std::string kEmpty;
  return impl_ ? impl_->kid : kEmpty;
}
std::optional<Alg> Key::alg() const { return impl_ ? impl_->alg : std::nullopt; }

std::optional<std::string> Key::to_public_jwk() const {
  if (!impl_ || impl_->type == KeyType::kOct || impl_->type == KeyType::kNone) return std::nullopt;
  EVP_PKEY* pkey = impl_->pkey;
  std::string out = "{\"kty\":\"";
  auto member = [&out](std::string_view name, std::string_view raw_value) {
    out += ",\"";
    out += name;
    out += "\":\"";
    append_json_escaped(out, raw_value);
    out += '"';
  };
  auto b64_member_out = [&out](std::string_view name, std::string_view bytes) {
    out += ",\"";
    out += name;
    out += "\":\"";
    base64url_encode(bytes, out);
    out += '"';
  };
  std::optional<Alg> alg = impl_->alg;
  if (impl_->type == KeyType::kRsa) {
    out += "RSA\"";
    BIGNUM* n = nullptr;
    BIGNUM* e = nullptr;
    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n);
    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e);
    BnPtr nh(n), eh(e);
    if (!n || !e) return std::nullopt;
    std::string nb, eb;
    detail::append_bn(n, 0, nb);
    detail::append_bn(e, 0, eb);
    b64_member_out("n", nb);
    b64_member_out("e", eb);
  } else if (impl_->type == KeyType::kEc) {
    out += "EC\"";
    BIGNUM* x = nullptr;
    BIGNUM* y = nullptr;
    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x);
    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y);
    BnPtr xh(x), yh(y);
    if (!x || !y) return std::nullopt;
    size_t field = detail::ec_field_bytes(impl_->curve);
    std::string xb, yb;
    detail::append_bn(x, field, xb);
    detail::append_bn(y, field, yb);
    member("crv", impl_->curve == Curve::kP256 ? "P-256" : impl_->curve == Curve::kP384 ? "P-384" : "P-521");
    b64_member_out("x", xb);
    b64_member_out("y", yb);
    if (!alg)
      alg = impl_->curve == Curve::kP256 ? Alg::kES256 : impl_->curve == Curve::kP384 ? Alg::kES384 : Alg::kES512;
  } else {
    out += "OKP\"";
    unsigned char pub[32];
    size_t len = sizeof(pub);
    if (EVP_PKEY_get_raw_public_key(pkey, pub, &len) != 1) return std::nullopt;
    member("crv", "Ed25519");
    b64_member_out("x", std::string_view(reinterpret_cast<const char*>(pub), len));
    alg = Alg::kEdDSA;
  }
  if (!impl_->kid.empty()) member("kid", impl_->kid);
  member("use", "sig");
  if (alg) member("alg", alg_name(*alg));
  out += '}';
  return out;
}

std::optional<Alg> default_signing_alg(const Key& key) {
  switch (key.type()) {
    case KeyType::kRsa: return Alg::kRS256;
    case KeyType::kEc:
      return key.curve() == Curve::kP384 ? Alg::kES384 : key.curve() == Curve::kP521 ? Alg::kES512 : Alg::kES256;
    case KeyType::kOkp: return Alg::kEdDSA;
    default: return std::nullopt;
  }
}

}  // namespace postern::jose
