#pragma once
// The key manager's persistence contract. SqliteKeyStore (one file, the default) and
// PostgresKeyStore (several key-manager replicas on one database) both implement it and
// pass the same tests (tests/unit/keymanager/store_contract.h).
//
// - Every value reaches the database as a bound parameter, never as SQL text.
// - Writes that two replicas may race on are decided by the database: unique keys,
//   ON CONFLICT, single-statement UPDATE … RETURNING, transactions.
// - A store may be shared by threads: each store serialises its calls on its one
//   connection. Two stores (two processes) on one database are safe too.
// - Times are unix seconds.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "keymanager/records.h"

namespace postern::keymanager {

// The database cannot be reached, refused a statement, or holds something this build cannot
// read (a newer schema). The message says which operation failed and why.
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A uniqueness rule refused a write: an application name, a username, a client id, a kid or
// a refresh-token hash that is already stored.
class StoreConflict : public StoreError {
 public:
  using StoreError::StoreError;
};

struct ConsumeResult {
  enum Status {
    kOk,       // the token was valid and unused; it is now used
    kUnknown,  // no such token (never issued, or revoked)
    kExpired,  // stored and unused, but past expires_at
    kReused,   // already used: the token leaked, so its whole family was revoked
  };
  Status status = kUnknown;
  RefreshToken token;  // the stored token for kOk, kExpired and kReused; empty for kUnknown
};

class Store {
 public:
  virtual ~Store() = default;

  // Applications. Names are unique (StoreConflict). create assigns a random id when
  // app.id is empty and returns what it stored. Deleting an application deletes its
  // clients, their refresh tokens and remembered assertions, and its subscriptions.
  virtual Application create_application(Application app) = 0;
  virtual std::optional<Application> get_application(const std::string& id) = 0;
  virtual std::optional<Application> get_application_by_name(const std::string& name) = 0;
  virtual std::vector<Application> list_applications() = 0;    // by name
  virtual bool delete_application(const std::string& id) = 0;  // false: there was none

  // Clients. StoreConflict for a taken client_id; StoreError for an unknown application.
  virtual void create_client(const Client& client) = 0;
  virtual std::optional<Client> get_client(const std::string& client_id) = 0;
  virtual bool update_client_secret(const std::string& client_id, const std::string& new_hash) = 0;  // false: none
  virtual std::vector<Client> clients_of(const std::string& application_id) = 0;                     // oldest first

  // Subscriptions: at most one per application × API name × API version; subscribing again
  // replaces the tier. StoreError for an unknown application.
  virtual void subscribe(const Subscription& subscription) = 0;
  virtual bool unsubscribe(const std::string& application_id, const std::string& api_name,
                           const std::string& api_version) = 0;                               // false: there was none
  virtual std::vector<Subscription> subscriptions_of(const std::string& application_id) = 0;  // by API, version

  // Users of the password grant. add_user throws StoreConflict when the username exists.
  virtual void add_user(const User& user) = 0;
  virtual std::optional<User> get_user(const std::string& username) = 0;
  virtual bool set_user_password(const std::string& username, const std::string& password_hash) = 0;  // false: none

  // Signing keys. add throws StoreConflict for a taken kid. signing_keys() is every stored
  // key, oldest first (created_at, then kid). delete_expired_keys removes the keys whose
  // published_until is before `now` and returns how many.
  virtual void add_signing_key(const SigningKey& key) = 0;
  virtual std::vector<SigningKey> signing_keys() = 0;
  virtual int delete_expired_keys(int64_t now) = 0;
  // `keys rotate`: every key but `successor` whose turn ends after `signs_until` ends it
  // then, and leaves the JWKS by `published_until` (never later than it would have).
  // Returns how many keys changed.
  virtual int end_turns_before(const std::string& successor, int64_t signs_until, int64_t published_until) = 0;

  // Refresh tokens (rotation, RFC 6819 §5.2.2.3). store_refresh throws StoreError when the
  // client does not exist (its application was deleted meanwhile).
  virtual void store_refresh(const RefreshToken& token) = 0;
  // Marks the token used in one atomic statement, so of two requests (or two replicas)
  // presenting the same token exactly one gets kOk. A token presented again is kReused and
  // its whole family is deleted: the thief and the rightful holder both lose it.
  virtual ConsumeResult consume_refresh(const std::string& token_hash, int64_t now) = 0;
  // The stored token without using it up (nullopt: unknown or revoked): for the checks that
  // may refuse a request before consume_refresh, so a refused request leaves the token usable.
  virtual std::optional<RefreshToken> find_refresh(const std::string& token_hash) = 0;
  // Delete the tokens of a family / of a client; return how many.
  virtual int revoke_refresh_family(const std::string& family_id) = 0;
  virtual int revoke_refresh_of_client(const std::string& client_id) = 0;

  // Revoked access tokens, for gateways to poll. Revoking a jti again changes nothing.
  // add_revocation also forgets revocations whose token expired before this one's
  // revoked_at (a gateway refuses those tokens anyway), so the list stays short.
  virtual void add_revocation(const Revocation& revocation) = 0;
  virtual std::vector<Revocation> revocations_since(int64_t revoked_after) = 0;  // revoked_at > revoked_after
  // Grows by one with every new revocation (0 for none) and never goes back, pruning
  // included: a gateway can use it as the ETag of the revocation list.
  virtual int64_t revocation_version() = 0;
  virtual bool is_revoked(const std::string& jti) = 0;

  // private_key_jwt replay protection (RFC 7523 §3): false when this client already
  // presented an assertion with this jti that has not expired. Forgets assertions whose
  // expires_at has passed on the system clock. StoreError for an unknown client.
  virtual bool remember_assertion(const std::string& client_id, const std::string& jti, int64_t expires_at) = 0;
};

}  // namespace postern::keymanager
