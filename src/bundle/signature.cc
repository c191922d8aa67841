#include "bundle/signature.h"

#include "jose/base64url.h"
#include "jose/signer.h"
#include "jose/verifier.h"

namespace postern::bundle {

namespace {

bool take_line(std::string_view& text, std::string_view key, std::string_view& value) {
  size_t nl = text.find('\n');
  if (nl == std::string_view::npos) return false;
  std::string_view line = text.substr(0, nl);
  text.remove_prefix(nl + 1);
  if (!line.starts_with(key) || line.size() <= key.size() || line[key.size()] != ' ') return false;
  value = line.substr(key.size() + 1);
  return true;
}

bool is_hex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

std::string render_signature(const SignatureBlock& s) {
  return "alg " + s.alg + "\nkey " + s.key_id + "\nsignature " + jose::base64url_encode(s.signature) + "\n";
}

Status parse_signature(std::string_view text, SignatureBlock& out) {
  std::string_view alg, key, sig;
  if (!take_line(text, "alg", alg) || !take_line(text, "key", key) || !take_line(text, "signature", sig) ||
      !text.empty()) {
    return Status::error("SIGNATURE is malformed (expected the lines 'alg', 'key', 'signature')");
  }
  if (alg != "EdDSA" && alg != "ES256") return Status::error("SIGNATURE: unsupported alg '" + std::string(alg) + "'");
  if (!is_hex64(key)) return Status::error("SIGNATURE: the key id is not 64 lower-case hex digits");
  out.alg = std::string(alg);
  out.key_id = std::string(key);
  out.signature.clear();
  if (sig.size() > 256 || !jose::base64url_decode(sig, out.signature)) {
    return Status::error("SIGNATURE: the signature is not canonical base64url");
  }
  return {};
}

Status sign_manifest(const BundleKey& key, std::string_view manifest, std::string& signature_file) {
  SignatureBlock block{std::string(jose::alg_name(key.alg)), key.id, {}};
  if (Status s = jose::sign_signature(key.alg, key.key, manifest, block.signature); !s) return s;
  signature_file = render_signature(block);
  return {};
}

Status check_signature(std::string_view signature_file, std::string_view manifest,
                       const std::vector<BundleKey>& trusted, const BundleKey*& signer) {
  signer = nullptr;
  SignatureBlock block;
  if (Status s = parse_signature(signature_file, block); !s) return s;
  for (const BundleKey& k : trusted) {
    if (k.id != block.key_id) continue;
    if (block.alg != jose::alg_name(k.alg)) {
      return Status::error("SIGNATURE says alg " + block.alg + " but the trusted key " + k.source + " signs with " +
                           std::string(jose::alg_name(k.alg)));
    }
    if (!jose::verify_signature(k.alg, k.key, manifest, block.signature)) {
      return Status::error("the signature does not match the manifest (the bundle was changed after it was signed)");
    }
    signer = &k;
    return {};
  }
  std::string ids;
  for (const BundleKey& k : trusted) ids += (ids.empty() ? "" : ", ") + k.id.substr(0, 16) + " (" + k.source + ")";
  return Status::error("signed by key " + block.key_id.substr(0, 16) + ", which is not trusted (trusted: " + ids + ")");
}

}  // namespace postern::bundle
