#include "bundle/signing_key.h"

#include <fstream>
#include <sstream>

#include "bundle/sha256.h"

namespace postern::bundle {

namespace {

Status read_small_file(const std::filesystem::path& file, std::string& out) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status::error("cannot read " + file.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  if (out.size() > 64 * 1024) return Status::error(file.string() + " is too large for a PEM key");
  return {};
}

}  // namespace

Status bundle_key_from_pem(std::string_view pem, bool want_private, BundleKey& out) {
  if (Status s = jose::Key::from_pem(pem, out.key); !s) return s;
  if (out.key.type() == jose::KeyType::kOkp && out.key.curve() == jose::Curve::kEd25519) {
    out.alg = jose::Alg::kEdDSA;
  } else if (out.key.type() == jose::KeyType::kEc && out.key.curve() == jose::Curve::kP256) {
    out.alg = jose::Alg::kES256;
  } else {
    return Status::error("bundles are signed with Ed25519 or ECDSA P-256 keys only");
  }
  if (want_private && !out.key.has_private()) return Status::error("a private key is needed to sign");
  if (!want_private && out.key.has_private()) {
    return Status::error("is a private key; trust the public key only (openssl pkey -in KEY -pubout)");
  }
  auto der = jose::public_key_der(out.key);
  if (!der) return Status::error("cannot encode the public key");
  out.id = sha256_hex(*der);
  return {};
}

Status load_signing_key(const std::filesystem::path& file, BundleKey& out) {
  std::string pem;
  if (Status s = read_small_file(file, pem); !s) return s;
  if (Status s = bundle_key_from_pem(pem, true, out); !s) return Status::error(file.string() + ": " + s.message());
  out.source = file.string();
  return {};
}

Status load_trusted_keys(const std::vector<std::filesystem::path>& files, std::vector<BundleKey>& out) {
  out.clear();
  for (const auto& file : files) {
    std::string pem;
    BundleKey key;
    if (Status s = read_small_file(file, pem); !s) return s;
    if (Status s = bundle_key_from_pem(pem, false, key); !s) return Status::error(file.string() + ": " + s.message());
    key.source = file.string();
    out.push_back(std::move(key));
  }
  if (out.empty()) return Status::error("no trusted key given");
  return {};
}

}  // namespace postern::bundle
