#pragma once
// Who may upload: a bearer token and/or one Basic user. Comparison is constant-time in
// the secret (both sides are hashed with SHA-256 first, then compared with CRYPTO_memcmp),
// so response timing tells a guesser nothing about how much of a token matched, nor its
// length.
#include <optional>
#include <string>
#include <string_view>

namespace postern::collector {

class Credentials {
 public:
  void set_token(std::string token) { token_ = std::move(token); }
  void set_basic(std::string user, std::string password) {
    basic_user_ = std::move(user);
    basic_password_ = std::move(password);
  }
  bool any() const { return token_.has_value() || basic_user_.has_value(); }

  // True when the Authorization header value carries an accepted credential.
  bool accepts(std::string_view authorization) const;

  // The WWW-Authenticate value a 401 carries.
  std::string challenge() const;

 private:
  std::optional<std::string> token_;
  std::optional<std::string> basic_user_, basic_password_;
};

// Constant-time equality of two secrets of any lengths.
bool secret_equal(std::string_view a, std::string_view b);

}  // namespace postern::collector
