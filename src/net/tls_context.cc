#include "net/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace postern::net {
namespace {

std::string openssl_reason(const boost::system::error_code& ec) {
  std::string s = ec.message();
  unsigned long e = ERR_get_error();
  if (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    s += " (";
    s += buf;
    s += ")";
  }
  return s;
}

int select_http11(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned int inlen,
                  void*) {
  static const unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, kHttp11, sizeof kHttp11, in, inlen) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;  // no common protocol: continue without ALPN
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

std::shared_ptr<asio::ssl::context> make_server_tls(const std::filesystem::path& cert_file,
                                                    const std::filesystem::path& key_file, std::string& error,
                                                    const std::filesystem::path& client_ca_file,
                                                    bool require_client_cert) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_compression |
                   asio::ssl::context::single_dh_use);
  SSL_CTX_set_options(ctx->native_handle(), SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(cert_file.string(), ec);
  if (ec) {
    error = "cannot load certificate " + cert_file.string() + ": " + openssl_reason(ec);
    return nullptr;
  }
  ctx->use_private_key_file(key_file.string(), asio::ssl::context::pem, ec);
  if (ec) {
    error = "cannot load private key " + key_file.string() + ": " + openssl_reason(ec);
    return nullptr;
  }
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    error = "private key " + key_file.string() + " does not match certificate " + cert_file.string();
    return nullptr;
  }
  SSL_CTX_set_alpn_select_cb(ctx->native_handle(), select_http11, nullptr);
  if (!client_ca_file.empty()) {
    ctx->load_verify_file(client_ca_file.string(), ec);
    if (ec) {
      error = "cannot load client CA " + client_ca_file.string() + ": " + openssl_reason(ec);
      return nullptr;
    }
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(client_ca_file.string().c_str());
    if (names) SSL_CTX_set_client_CA_list(ctx->native_handle(), names);
    // Without a certificate the handshake still succeeds unless required; a presented but
    // invalid certificate always fails it.
    SSL_CTX_set_verify(ctx->native_handle(),
                       SSL_VERIFY_PEER | (require_client_cert ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), nullptr);
    static const unsigned char kSessionContext[] = "postern";
    SSL_CTX_set_session_id_context(ctx->native_handle(), kSessionContext, sizeof kSessionContext - 1);
  }
  return ctx;
}

std::shared_ptr<asio::ssl::context> make_client_tls(const std::filesystem::path& ca_file, std::string& error) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  boost::system::error_code ec;
  if (ca_file.empty()) {
    ctx->set_default_verify_paths(ec);
  } else {
    ctx->load_verify_file(ca_file.string(), ec);
  }
  if (ec) {
    error = "cannot load CA certificates" + (ca_file.empty() ? std::string() : " from " + ca_file.string()) + ": " +
            openssl_reason(ec);
    return nullptr;
  }
  static const unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_CTX_set_alpn_protos(ctx->native_handle(), kHttp11, sizeof kHttp11);
  // Resumption saves a full handshake when a pooled connection is replaced.
  SSL_CTX_set_session_cache_mode(ctx->native_handle(), SSL_SESS_CACHE_CLIENT);
  return ctx;
}

}  // namespace postern::net
