#include "net/client_cert.h"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

namespace postern::net {

struct ClientCertVerifier::Store {
  X509_STORE* store = nullptr;
  ~Store() {
    if (store) X509_STORE_free(store);
  }
};

std::shared_ptr<const ClientCertVerifier> ClientCertVerifier::load(const std::filesystem::path& ca_file,
                                                                   std::string& error) {
  auto v = std::shared_ptr<ClientCertVerifier>(new ClientCertVerifier());
  v->store_ = std::make_unique<Store>();
  v->store_->store = X509_STORE_new();
  if (!v->store_->store || X509_STORE_load_file(v->store_->store, ca_file.c_str()) != 1) {
    error = "cannot load client CA " + ca_file.string();
    return nullptr;
  }
  return v;
}

ClientCertVerifier::~ClientCertVerifier() = default;

std::string ClientCertVerifier::verify(std::string_view header_value) const {
  std::string pem;
  pem.reserve(header_value.size());
  for (size_t i = 0; i < header_value.size(); ++i) {  // URL-decoding, as load balancers send it
    char c = header_value[i];
    if (c == '%' && i + 2 < header_value.size()) {
      auto hex = [](char h) { return h <= '9' ? h - '0' : (h | 32) - 'a' + 10; };
      pem.push_back(char(hex(header_value[i + 1]) * 16 + hex(header_value[i + 2])));
      i += 2;
    } else {
      pem.push_back(c == '+' ? ' ' : c);
    }
  }
  BIO* bio = BIO_new_mem_buf(pem.data(), int(pem.size()));
  X509* cert = bio ? PEM_read_bio_X509(bio, nullptr, nullptr, nullptr) : nullptr;
  if (bio) BIO_free(bio);
  if (!cert) return {};
  std::string subject;
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  if (ctx && X509_STORE_CTX_init(ctx, store_->store, cert, nullptr) == 1) {
    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
    if (X509_verify_cert(ctx) == 1) {
      char dn[512];
      X509_NAME_oneline(X509_get_subject_name(cert), dn, sizeof dn);
      subject = dn;
    }
  }
  if (ctx) X509_STORE_CTX_free(ctx);
  X509_free(cert);
  return subject;
}

}  // namespace postern::net
