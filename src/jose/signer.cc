#include "jose/signer.h"

#include <openssl/ec.h>

#include "core/strings.h"
#include "jose/base64url.h"
#include "jose/json_util.h"
#include "jose/key_internal.h"
#include "jose/ossl_util.h"

namespace postern::jose {
namespace detail {
bool set_rsa_padding(EVP_PKEY_CTX* pctx, Alg alg);
bool hmac(Alg alg, const std::string& secret, std::string_view input, unsigned char* mac, unsigned int& len);
}  // namespace detail

namespace {

// DER ECDSA-Sig-Value to JOSE R||S, each left-padded to the field size.
bool der_ecdsa_to_raw(const unsigned char* der, size_t len, size_t field, std::string& raw) {
  const unsigned char* p = der;
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len));
  if (!sig) return false;
  const BIGNUM* r = ECDSA_SIG_get0_r(sig);
  const BIGNUM* s = ECDSA_SIG_get0_s(sig);
  bool ok = static_cast<size_t>(BN_num_bytes(r)) <= field && static_cast<size_t>(BN_num_bytes(s)) <= field;
  if (ok) {
    raw.clear();
    detail::append_bn(r, field, raw);
    detail::append_bn(s, field, raw);
  }
  ECDSA_SIG_free(sig);
  return ok;
}

}  // namespace

Status sign_signature(Alg alg, const Key& key, std::string_view signing_input, std::string& signature) {
  if (!key.can_sign(alg)) {
    return Status::error("key cannot sign " + std::string(alg_name(alg)) +
                         (key.has_private() ? "" : " (no private key)"));
  }
  const Key::Impl* k = KeyAccess::impl(key);
  if (k->type == KeyType::kOct) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!detail::hmac(alg, k->secret, signing_input, mac, len)) return Status::error("HMAC failed");
    signature.assign(reinterpret_cast<const char*>(mac), len);
    return {};
  }
  detail::MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx || EVP_DigestSignInit(ctx.get(), &pctx, detail::alg_digest(alg), nullptr, k->pkey) != 1 ||
      (k->type == KeyType::kRsa && !detail::set_rsa_padding(pctx, alg))) {
    return Status::error("signing setup failed");
  }
  const auto* in = reinterpret_cast<const unsigned char*>(signing_input.data());
  size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, in, signing_input.size()) != 1) {
    return Status::error("signing failed");
  }
  std::string out(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, in, signing_input.size()) != 1) {
    return Status::error("signing failed");
  }
  out.resize(len);
  if (k->type == KeyType::kEc) {
    if (!der_ecdsa_to_raw(reinterpret_cast<const unsigned char*>(out.data()), out.size(),
                          detail::ec_field_bytes(k->curve), signature)) {
      return Status::error("ECDSA signature conversion failed");
    }
    return {};
  }
  signature = std::move(out);
  return {};
}

Status sign(Alg alg, const Key& key, std::string_view extra_header_fields, std::string_view payload,
            std::string& token) {
  std::string header = "{\"alg\":\"";
  header += alg_name(alg);
  header += '"';
  if (!key.kid().empty()) {
    header += ",\"kid\":\"";
    append_json_escaped(header, key.kid());
    header += '"';
  }
  if (!extra_header_fields.empty()) {
    header += ',';
    header += extra_header_fields;
  }
  header += '}';
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (detail::parse_strict_object(parser, header, false, obj) != detail::JsonStatus::kOk) {
    return Status::error("JWS header is not a JSON object with unique members");
  }
  std::string out;
  base64url_encode(header, out);
  out += '.';
  base64url_encode(payload, out);
  std::string signature;
  if (Status st = sign_signature(alg, key, out, signature); !st) return st;
  out += '.';
  base64url_encode(signature, out);
  token = std::move(out);
  return {};
}

}  // namespace postern::jose
