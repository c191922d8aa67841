#include "keymanager/key_sealer.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "jose/base64url.h"

namespace postern::keymanager {
namespace {

using Key = std::array<unsigned char, 32>;
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

constexpr std::string_view kVersion = "v1";
constexpr size_t kNonceBytes = 12, kTagBytes = 16;

// Key material in a std::string, wiped when it goes out of scope.
struct WipedString {
  std::string s;
  ~WipedString() { OPENSSL_cleanse(s.data(), s.size()); }
};

std::string_view trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n";
  size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(kSpace) - begin + 1);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool parse_hex_key(std::string_view text, Key& key) {
  if (text.size() != 2 * key.size()) return false;
  for (size_t i = 0; i < key.size(); ++i) {
    int hi = hex_value(text[2 * i]), lo = hex_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    key[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  return true;
}

// Standard padded base64 of 32 bytes: 43 characters and one '='. Decoded with the strict
// base64url codec after swapping the two characters in which the alphabets differ.
bool parse_base64_key(std::string_view text, Key& key) {
  if (text.size() != 44 || text[43] != '=') return false;
  WipedString url{std::string(text.substr(0, 43))}, raw;
  for (char& c : url.s) {
    if (c == '-' || c == '_') return false;
    if (c == '+') c = '-';
    else if (c == '/') c = '_';
  }
  if (!jose::base64url_decode(url.s, raw.s) || raw.s.size() != key.size()) return false;
  std::memcpy(key.data(), raw.s.data(), key.size());
  return true;
}

// The whole file, or nullopt when it cannot be read (errno says why).
std::optional<std::string> read_key_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

CipherCtx new_cipher() {
  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  if (!ctx) throw std::runtime_error("KeySealer: OpenSSL could not allocate a cipher context");
  return ctx;
}

}  // namespace

KeySealer KeySealer::from_env_or_file(std::string_view env_name, std::string_view file_path) {
  const std::string env(env_name), path(file_path);
  const char* env_value = std::getenv(env.c_str());
  WipedString text;
  std::string source;
  if (env_value && *env_value) {
    text.s = env_value;
    source = "environment variable " + env;
  } else if (!path.empty()) {
    std::optional<std::string> content = read_key_file(path);
    if (!content)
      throw std::runtime_error("signing-key master key: environment variable " + env + " is not set and file " + path +
                               " cannot be read (" + std::strerror(errno) + ")");
    text.s = std::move(*content);
    source = "file " + path;
  } else {
    throw std::runtime_error("signing-key master key: environment variable " + env +
                             " is not set (and no key file is configured)");
  }
  Key key;
  std::string_view trimmed = trim(text.s);
  bool ok = parse_hex_key(trimmed, key) || parse_base64_key(trimmed, key);
  if (!ok)
    throw std::runtime_error("signing-key master key in " + source +
                             " is malformed: expected 32 bytes as 64 hex characters (openssl rand -hex 32) or as 44 "
                             "characters of base64 (openssl rand -base64 32)");
  KeySealer sealer(key);
  OPENSSL_cleanse(key.data(), key.size());
  return sealer;
}

KeySealer::~KeySealer() { OPENSSL_cleanse(key_.data(), key_.size()); }

std::string KeySealer::seal(std::string_view plaintext) const {
  if (plaintext.size() > INT_MAX - kTagBytes) throw std::runtime_error("KeySealer: plaintext too large");
  unsigned char nonce[kNonceBytes];
  if (RAND_bytes(nonce, sizeof nonce) != 1) throw std::runtime_error("KeySealer: OpenSSL has no randomness");
  CipherCtx ctx = new_cipher();
  std::string body(plaintext.size() + kTagBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(body.data());
  int len = 0, final_len = 0;
  bool ok = EVP_EncryptInit_ex2(ctx.get(), EVP_aes_256_gcm(), key_.data(), nonce, nullptr) == 1 &&
            EVP_EncryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(kVersion.data()),
                              static_cast<int>(kVersion.size())) == 1 &&
            EVP_EncryptUpdate(ctx.get(), out, &len, reinterpret_cast<const unsigned char*>(plaintext.data()),
                              static_cast<int>(plaintext.size())) == 1 &&
            EVP_EncryptFinal_ex(ctx.get(), out + len, &final_len) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, kTagBytes, out + plaintext.size()) == 1;
  if (!ok) throw std::runtime_error("KeySealer: OpenSSL AES-256-GCM encryption failed");
  std::string sealed(kVersion);
  sealed += '.';
  jose::base64url_encode(std::string_view(reinterpret_cast<const char*>(nonce), sizeof nonce), sealed);
  sealed += '.';
  jose::base64url_encode(body, sealed);
  return sealed;
}

std::optional<std::string> KeySealer::open(std::string_view sealed) const {
  size_t first = sealed.find('.'), second = sealed.find('.', first + 1);
  if (first == std::string_view::npos || second == std::string_view::npos) return std::nullopt;
  if (sealed.substr(0, first) != kVersion) return std::nullopt;
  std::string nonce, body;
  if (!jose::base64url_decode(sealed.substr(first + 1, second - first - 1), nonce) || nonce.size() != kNonceBytes ||
      !jose::base64url_decode(sealed.substr(second + 1), body) || body.size() < kTagBytes || body.size() > INT_MAX)
    return std::nullopt;
  size_t text_len = body.size() - kTagBytes;
  auto* in = reinterpret_cast<unsigned char*>(body.data());
  std::string plaintext(text_len, '\0');
  auto* out = reinterpret_cast<unsigned char*>(plaintext.data());
  CipherCtx ctx = new_cipher();
  int len = 0, final_len = 0;
  // The tag is checked by EVP_DecryptFinal_ex: a changed byte anywhere (nonce, ciphertext,
  // tag, version) or another key fails there.
  bool ok = EVP_DecryptInit_ex2(ctx.get(), EVP_aes_256_gcm(), key_.data(),
                                reinterpret_cast<const unsigned char*>(nonce.data()), nullptr) == 1 &&
            EVP_DecryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(kVersion.data()),
                              static_cast<int>(kVersion.size())) == 1 &&
            EVP_DecryptUpdate(ctx.get(), out, &len, in, static_cast<int>(text_len)) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, kTagBytes, in + text_len) == 1 &&
            EVP_DecryptFinal_ex(ctx.get(), out + len, &final_len) == 1;
  if (!ok) {
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    return std::nullopt;
  }
  return plaintext;
}

}  // namespace postern::keymanager
