#pragma once
// Encrypts the signing keys' private PEMs at rest, so a copy of the database (a backup, a
// replica, a stolen file) does not hand out the key manager's signing keys.
//
// AES-256-GCM under a 32-byte master key that is never stored with the data: it comes from
// an environment variable or a file, as 64 hex characters or as 44 characters of standard
// base64 (`openssl rand -hex 32`, `openssl rand -base64 32`). Each seal draws a fresh
// 12-byte nonce; the sealed text is
//
//   v1.<base64url nonce>.<base64url ciphertext followed by the 16-byte tag>
//
// and "v1" is authenticated too, so a later format cannot be passed off as this one.
#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace postern::keymanager {

class KeySealer {
 public:
  // The master key from the environment variable `env_name` when it is set and not empty,
  // else from the file `file_path` (surrounding whitespace ignored; skipped when the path is
  // empty). Throws std::runtime_error naming the variable or file when neither gives a key
  // or the key is malformed (the message never contains the key).
  static KeySealer from_env_or_file(std::string_view env_name, std::string_view file_path);

  ~KeySealer();
  KeySealer(const KeySealer&) = default;
  KeySealer& operator=(const KeySealer&) = default;

  // Throws std::runtime_error when OpenSSL fails (no randomness, no memory).
  std::string seal(std::string_view plaintext) const;
  // The plaintext, or nullopt when `sealed` is malformed, was changed, or was sealed under
  // another master key.
  std::optional<std::string> open(std::string_view sealed) const;

 private:
  static constexpr size_t kKeyBytes = 32;
  explicit KeySealer(const std::array<unsigned char, kKeyBytes>& key) : key_(key) {}
  std::array<unsigned char, kKeyBytes> key_;
};

}  // namespace postern::keymanager
