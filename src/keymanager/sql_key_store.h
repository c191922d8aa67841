#pragma once
// Store over an SqlConnection: the one implementation of the contract in store.h, which
// SqliteKeyStore and PostgresKeyStore run on their own drivers. Calls are serialised by a
// mutex, so one store may be shared by threads.
#include <memory>
#include <mutex>

#include "keymanager/sql_connection.h"
#include "keymanager/store.h"

namespace postern::keymanager {

class SqlKeyStore : public Store {
 public:
  Application create_application(Application app) override;
  std::optional<Application> get_application(const std::string& id) override;
  std::optional<Application> get_application_by_name(const std::string& name) override;
  std::vector<Application> list_applications() override;
  bool delete_application(const std::string& id) override;

  void create_client(const Client& client) override;
  std::optional<Client> get_client(const std::string& client_id) override;
  bool update_client_secret(const std::string& client_id, const std::string& new_hash) override;
  std::vector<Client> clients_of(const std::string& application_id) override;

  void subscribe(const Subscription& subscription) override;
  bool unsubscribe(const std::string& application_id, const std::string& api_name,
                   const std::string& api_version) override;
  std::vector<Subscription> subscriptions_of(const std::string& application_id) override;

  void add_user(const User& user) override;
  std::optional<User> get_user(const std::string& username) override;
  bool set_user_password(const std::string& username, const std::string& password_hash) override;

  void add_signing_key(const SigningKey& key) override;
  std::vector<SigningKey> signing_keys() override;
  int delete_expired_keys(int64_t now) override;
  int end_turns_before(const std::string& successor, int64_t signs_until, int64_t published_until) override;

  void store_refresh(const RefreshToken& token) override;
  ConsumeResult consume_refresh(const std::string& token_hash, int64_t now) override;
  std::optional<RefreshToken> find_refresh(const std::string& token_hash) override;
  int revoke_refresh_family(const std::string& family_id) override;
  int revoke_refresh_of_client(const std::string& client_id) override;

  void add_revocation(const Revocation& revocation) override;
  std::vector<Revocation> revocations_since(int64_t revoked_after) override;
  int64_t revocation_version() override;
  bool is_revoked(const std::string& jti) override;

  bool remember_assertion(const std::string& client_id, const std::string& jti, int64_t expires_at) override;

 protected:
  // Takes the connection and creates (or checks) the schema. Throws StoreError.
  explicit SqlKeyStore(std::unique_ptr<SqlConnection> connection);

 private:
  void create_schema();
  // conn_->exec after refusing strings with a NUL byte, which PostgreSQL cannot store and
  // SQLite would keep: both stores refuse them alike.
  SqlRows run(std::string_view what, const char* sql, std::initializer_list<SqlParam> params = {});

  std::mutex mu_;
  std::unique_ptr<SqlConnection> conn_;
};

}  // namespace postern::keymanager
