#pragma once
// Helpers for the JOSE tests: token assembly, files, and the `openssl` command line (the
// independent implementation the interop tests compare against).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>

#include "jose/base64url.h"

namespace postern::jose::test {

inline std::string b64(std::string_view s) { return base64url_encode(s); }

inline std::string unb64(std::string_view s) {
  std::string out;
  EXPECT_TRUE(base64url_decode(s, out)) << s;
  return out;
}

// header.payload.signature from JSON texts and raw signature bytes.
inline std::string make_token(std::string_view header, std::string_view payload, std::string_view sig) {
  return b64(header) + "." + b64(payload) + "." + b64(sig);
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_file(const std::filesystem::path& p, std::string_view data) {
  std::ofstream out(p, std::ios::binary);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "postern-jose-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Runs a shell command in `dir`; returns its exit status (0 = success). Output is
// discarded unless the command fails.
inline int run(const std::filesystem::path& dir, const std::string& cmd) {
  std::string full = "cd '" + dir.string() + "' && " + cmd + " >cmd.log 2>&1";
  int rc = std::system(full.c_str());
  if (rc != 0) ADD_FAILURE() << "command failed: " << cmd << "\n" << read_file(dir / "cmd.log");
  return rc;
}

// DER ECDSA-Sig-Value (what `openssl dgst -sign` writes) to JOSE R||S, written here
// independently of the library's own conversion.
inline std::string der_to_raw(std::string_view der, size_t field) {
  auto u = [&](size_t i) { return static_cast<unsigned char>(der.at(i)); };
  size_t pos = 1;  // after SEQUENCE tag
  if (u(pos) & 0x80) pos += 1 + (u(pos) & 0x7f);
  else pos += 1;
  std::string out;
  for (int k = 0; k < 2; ++k) {
    EXPECT_EQ(u(pos), 0x02);
    size_t len = u(pos + 1);
    pos += 2;
    std::string_view v = der.substr(pos, len);
    while (v.size() > field && v.front() == '\0') v.remove_prefix(1);
    out.append(field - v.size(), '\0');
    out.append(v);
    pos += len;
  }
  return out;
}

// JOSE R||S to DER, for feeding our signatures to `openssl dgst -verify`.
inline std::string raw_to_der(std::string_view raw) {
  auto integer = [](std::string_view v) {
    while (v.size() > 1 && v.front() == '\0') v.remove_prefix(1);
    std::string out = "\x02";
    bool pad = static_cast<unsigned char>(v.front()) & 0x80;
    out.push_back(static_cast<char>(v.size() + pad));
    if (pad) out.push_back('\0');
    out.append(v);
    return out;
  };
  std::string body = integer(raw.substr(0, raw.size() / 2)) + integer(raw.substr(raw.size() / 2));
  std::string out = "\x30";
  if (body.size() >= 128) out.push_back('\x81');
  out.push_back(static_cast<char>(body.size()));
  return out + body;
}

}  // namespace postern::jose::test

namespace postern::jose::test {

// Keys generated once per test run with the openssl command line, as PEM text.
struct PemKeys {
  std::string rsa_priv, rsa_pub, rsa_cert, rsa_pkcs1_pub, rsa1024_pub;
  std::string ec256_priv, ec256_pub, ec384_priv, ec384_pub, ec521_priv, ec521_pub;
  std::string ed_priv, ed_pub;
  std::filesystem::path dir;  // where the files live (kept for the whole run)
};

inline const PemKeys& pem_keys() {
  static const PemKeys keys = [] {
    static TempDir dir;
    PemKeys k;
    k.dir = dir.path();
    auto gen = [&](const std::string& name, const std::string& args) {
      run(dir.path(), "openssl genpkey " + args + " -out " + name + ".pem && openssl pkey -in " + name +
                          ".pem -pubout -out " + name + ".pub");
      return std::pair{read_file(dir / (name + ".pem")), read_file(dir / (name + ".pub"))};
    };
    std::tie(k.rsa_priv, k.rsa_pub) = gen("rsa", "-algorithm RSA -pkeyopt rsa_keygen_bits:2048");
    std::tie(std::ignore, k.rsa1024_pub) = gen("rsa1024", "-algorithm RSA -pkeyopt rsa_keygen_bits:1024");
    std::tie(k.ec256_priv, k.ec256_pub) = gen("ec256", "-algorithm EC -pkeyopt ec_paramgen_curve:P-256");
    std::tie(k.ec384_priv, k.ec384_pub) = gen("ec384", "-algorithm EC -pkeyopt ec_paramgen_curve:P-384");
    std::tie(k.ec521_priv, k.ec521_pub) = gen("ec521", "-algorithm EC -pkeyopt ec_paramgen_curve:P-521");
    std::tie(k.ed_priv, k.ed_pub) = gen("ed", "-algorithm ED25519");
    run(dir.path(), "openssl req -x509 -new -key rsa.pem -subj /CN=postern-test -days 2 -out rsa.crt");
    run(dir.path(), "openssl rsa -in rsa.pem -RSAPublicKey_out -out rsa.pkcs1");
    k.rsa_cert = read_file(dir / "rsa.crt");
    k.rsa_pkcs1_pub = read_file(dir / "rsa.pkcs1");
    return k;
  }();
  return keys;
}

}  // namespace postern::jose::test
