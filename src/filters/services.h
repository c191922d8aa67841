#pragma once
// What the filters of one runtime share: built once per config generation (not per route)
// on the main thread, then read by every worker. Each filter's factory (registry.cc) takes
// what it needs from here.
#include <memory>
#include <string>

#include "config/snapshot.h"
#include "filters/worker_slots.h"
#include "net/asio.h"
#include "net/client_cert.h"
#include "throttle/counter_store.h"

namespace postern::filters {

class JwtAuthenticator;
class StaticCredentials;
class BackendJwtSigner;
class PasswordChecker;
class Introspector;

struct FilterServices {
  std::shared_ptr<const config::Snapshot> snapshot;
  std::shared_ptr<SlotRegistry> slots;                                // per-worker state, declared at build
  std::shared_ptr<JwtAuthenticator> jwt;                              // issuers, keys
  std::shared_ptr<const StaticCredentials> credentials;               // Basic users, static API keys
  std::shared_ptr<const BackendJwtSigner> backend_jwt;                // null unless enabled
  std::shared_ptr<const net::ClientCertVerifier> client_cert_header;  // null unless configured
  std::shared_ptr<throttle::CounterStore> throttle_store;             // null: no throttling
  std::shared_ptr<net::asio::ssl::context> client_tls;                // for the key manager (https)
  PasswordChecker* password_checker = nullptr;                        // the server's checking threads
  Slot<Introspector> introspector;                                    // valid when a key manager is configured
};

struct ServiceInputs {
  std::shared_ptr<const config::Snapshot> snapshot;
  std::shared_ptr<throttle::CounterStore> throttle_store;
  std::shared_ptr<net::asio::ssl::context> client_tls;
  PasswordChecker* password_checker = nullptr;
  unsigned workers = 1;  // sizes the per-worker revocation sets
};

// Null with `error` set when a key, a certificate or a secret cannot be used.
std::shared_ptr<const FilterServices> build_services(ServiceInputs in, std::string& error);

}  // namespace postern::filters
