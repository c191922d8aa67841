#pragma once
// Client certificates that arrive in a header from a trusted load balancer: URL-encoded (or
// plain) PEM, verified against a CA bundle exactly as a TLS handshake would.
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace postern::net {

class ClientCertVerifier {
 public:
  // Null with `error` set when the CA file cannot be loaded.
  static std::shared_ptr<const ClientCertVerifier> load(const std::filesystem::path& ca_file, std::string& error);
  ~ClientCertVerifier();
  // The subject DN of the certificate in `header_value` when it verifies, else "".
  std::string verify(std::string_view header_value) const;

 private:
  struct Store;
  std::unique_ptr<Store> store_;
};

}  // namespace postern::net
