#include "keymanager/sql_key_store.h"

#include <ctime>

#include "keymanager/schema.h"
#include "keymanager/secret_hash.h"

namespace postern::keymanager {
namespace {

constexpr size_t kApplicationIdBytes = 16;

// Rolls back unless committed, so a statement that throws leaves nothing half-written.
class WriteTransaction {
 public:
  explicit WriteTransaction(SqlConnection& conn) : conn_(conn) { conn_.begin(); }
  ~WriteTransaction() {
    if (!committed_) conn_.rollback();
  }
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;
  void commit() {
    conn_.commit();
    committed_ = true;
  }

 private:
  SqlConnection& conn_;
  bool committed_ = false;
};

// "create application 'Shop'": the operation and the value it was about, for messages.
std::string about(std::string_view operation, std::string_view value) {
  return std::string(operation) + " '" + std::string(value) + "'";
}

// Row readers: each matches the column list of the SELECTs that use it.
Application application_at(const SqlRows& r, size_t i) {
  return {.id = r.text(i, 0),
          .name = r.text(i, 1),
          .tier = r.text(i, 2),
          .owner = r.text(i, 3),
          .created_at = r.integer(i, 4)};
}

Client client_at(const SqlRows& r, size_t i) {
  return {.client_id = r.text(i, 0),
          .application_id = r.text(i, 1),
          .secret_hash = r.text(i, 2),
          .key_type = r.text(i, 3),
          .public_key_pem = r.text(i, 4),
          .created_at = r.integer(i, 5)};
}

Subscription subscription_at(const SqlRows& r, size_t i) {
  return {.application_id = r.text(i, 0), .api_name = r.text(i, 1), .api_version = r.text(i, 2), .tier = r.text(i, 3)};
}

SigningKey signing_key_at(const SqlRows& r, size_t i) {
  return {.kid = r.text(i, 0),
          .alg = r.text(i, 1),
          .private_pem_sealed = r.text(i, 2),
          .public_pem = r.text(i, 3),
          .created_at = r.integer(i, 4),
          .signs_from = r.integer(i, 5),
          .signs_until = r.integer(i, 6),
          .published_until = r.integer(i, 7)};
}

RefreshToken refresh_at(const SqlRows& r, size_t i) {
  return {.token_hash = r.text(i, 0),
          .family_id = r.text(i, 1),
          .client_id = r.text(i, 2),
          .username = r.text(i, 3),
          .scope = r.text(i, 4),
          .expires_at = r.integer(i, 5),
          .used = r.boolean(i, 6)};
}

Revocation revocation_at(const SqlRows& r, size_t i) {
  return {.jti = r.text(i, 0), .expires_at = r.integer(i, 1), .revoked_at = r.integer(i, 2)};
}

template <class T>
std::optional<T> first(const SqlRows& rows, T (*read)(const SqlRows&, size_t)) {
  if (rows.empty()) return std::nullopt;
  return read(rows, 0);
}

template <class T>
std::vector<T> all(const SqlRows& rows, T (*read)(const SqlRows&, size_t)) {
  std::vector<T> out;
  out.reserve(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) out.push_back(read(rows, i));
  return out;
}

}  // namespace

SqlKeyStore::SqlKeyStore(std::unique_ptr<SqlConnection> connection) : conn_(std::move(connection)) { create_schema(); }

// Under the schema lock, so two replicas starting together on one empty database do not both
// create tables. A database already at this version is left untouched (no DDL, so no table
// locks while another replica serves).
void SqlKeyStore::create_schema() {
  WriteTransaction tx(*conn_);
  conn_->lock_schema();
  run("create schema", "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)");
  SqlRows version = run("read schema version", "SELECT MAX(version) FROM schema_version");
  const std::string& stored = version.text(0, 0);  // "" (NULL) for a new database
  if (!stored.empty() && version.integer(0, 0) == kSchemaVersion) return;
  if (!stored.empty() && version.integer(0, 0) > kSchemaVersion)
    throw StoreError("the key manager database has schema version " + stored + ", newer than this build's (" +
                     std::to_string(kSchemaVersion) + "): run a newer postern");
  for (const char* sql : kSchemaStatements) run("create schema", sql);
  run("create counters", "INSERT INTO counters (name, value) VALUES ('revocations', 0) ON CONFLICT (name) DO NOTHING");
  run("write schema version", "INSERT INTO schema_version (version) VALUES ($1)", {kSchemaVersion});
  tx.commit();
}

SqlRows SqlKeyStore::run(std::string_view what, const char* sql, std::initializer_list<SqlParam> params) {
  for (const SqlParam& p : params) {
    const auto* text = std::get_if<std::string_view>(&p);
    if (text && text->find('\0') != std::string_view::npos)
      throw StoreError(std::string(what) + ": a value contains a NUL byte");
  }
  return conn_->exec(what, sql, params);
}

// ---------------------------------------------------------------------------------------
// Applications

Application SqlKeyStore::create_application(Application app) {
  std::lock_guard lock(mu_);
  if (app.id.empty()) app.id = random_token(kApplicationIdBytes);
  run(about("create application", app.name),
      "INSERT INTO applications (id, name, tier, owner, created_at) VALUES ($1, $2, $3, $4, $5)",
      {app.id, app.name, app.tier, app.owner, app.created_at});
  return app;
}

std::optional<Application> SqlKeyStore::get_application(const std::string& id) {
  std::lock_guard lock(mu_);
  return first(run("read application", "SELECT id, name, tier, owner, created_at FROM applications WHERE id = $1",
                   {id}),
               application_at);
}

std::optional<Application> SqlKeyStore::get_application_by_name(const std::string& name) {
  std::lock_guard lock(mu_);
  return first(run("read application", "SELECT id, name, tier, owner, created_at FROM applications WHERE name = $1",
                   {name}),
               application_at);
}

std::vector<Application> SqlKeyStore::list_applications() {
  std::lock_guard lock(mu_);
  return all(run("list applications", "SELECT id, name, tier, owner, created_at FROM applications ORDER BY name"),
             application_at);
}

bool SqlKeyStore::delete_application(const std::string& id) {
  std::lock_guard lock(mu_);
  // The foreign keys cascade to clients, subscriptions, refresh tokens and assertions.
  return run("delete application", "DELETE FROM applications WHERE id = $1", {id}).affected > 0;
}

// ---------------------------------------------------------------------------------------
// Clients

void SqlKeyStore::create_client(const Client& c) {
  std::lock_guard lock(mu_);
  run(about("create client", c.client_id),
      "INSERT INTO clients (client_id, application_id, secret_hash, key_type, public_key_pem, created_at) "
      "VALUES ($1, $2, $3, $4, $5, $6)",
      {c.client_id, c.application_id, c.secret_hash, c.key_type, c.public_key_pem, c.created_at});
}

std::optional<Client> SqlKeyStore::get_client(const std::string& client_id) {
  std::lock_guard lock(mu_);
  return first(run("read client",
                   "SELECT client_id, application_id, secret_hash, key_type, public_key_pem, created_at "
                   "FROM clients WHERE client_id = $1",
                   {client_id}),
               client_at);
}

bool SqlKeyStore::update_client_secret(const std::string& client_id, const std::string& new_hash) {
  std::lock_guard lock(mu_);
  return run("update client secret", "UPDATE clients SET secret_hash = $2 WHERE client_id = $1", {client_id, new_hash})
             .affected > 0;
}

std::vector<Client> SqlKeyStore::clients_of(const std::string& application_id) {
  std::lock_guard lock(mu_);
  return all(run("list clients",
                 "SELECT client_id, application_id, secret_hash, key_type, public_key_pem, created_at "
                 "FROM clients WHERE application_id = $1 ORDER BY created_at, client_id",
                 {application_id}),
             client_at);
}

// ---------------------------------------------------------------------------------------
// Subscriptions

void SqlKeyStore::subscribe(const Subscription& s) {
  std::lock_guard lock(mu_);
  run(about("subscribe to", s.api_name),
      "INSERT INTO subscriptions (application_id, api_name, api_version, tier) VALUES ($1, $2, $3, $4) "
      "ON CONFLICT (application_id, api_name, api_version) DO UPDATE SET tier = excluded.tier",
      {s.application_id, s.api_name, s.api_version, s.tier});
}

bool SqlKeyStore::unsubscribe(const std::string& application_id, const std::string& api_name,
                              const std::string& api_version) {
  std::lock_guard lock(mu_);
  return run("unsubscribe",
             "DELETE FROM subscriptions WHERE application_id = $1 AND api_name = $2 AND api_version = $3",
             {application_id, api_name, api_version})
             .affected > 0;
}

std::vector<Subscription> SqlKeyStore::subscriptions_of(const std::string& application_id) {
  std::lock_guard lock(mu_);
  return all(run("list subscriptions",
                 "SELECT application_id, api_name, api_version, tier FROM subscriptions WHERE application_id = $1 "
                 "ORDER BY api_name, api_version",
                 {application_id}),
             subscription_at);
}

// ---------------------------------------------------------------------------------------
// Users

void SqlKeyStore::add_user(const User& user) {
  std::lock_guard lock(mu_);
  WriteTransaction tx(*conn_);
  run(about("add user", user.username), "INSERT INTO users (username, password_hash) VALUES ($1, $2)",
      {user.username, user.password_hash});
  for (size_t i = 0; i < user.roles.size(); ++i)
    run(about("add role of user", user.username),
        "INSERT INTO user_roles (username, ordinal, role) VALUES ($1, $2, $3)",
        {user.username, static_cast<int64_t>(i), user.roles[i]});
  tx.commit();
}

std::optional<User> SqlKeyStore::get_user(const std::string& username) {
  std::lock_guard lock(mu_);
  SqlRows found = run("read user", "SELECT password_hash FROM users WHERE username = $1", {username});
  if (found.empty()) return std::nullopt;
  User user{.username = username, .password_hash = found.text(0, 0), .roles = {}};
  SqlRows roles = run("read roles of user", "SELECT role FROM user_roles WHERE username = $1 ORDER BY ordinal",
                      {username});
  for (size_t i = 0; i < roles.size(); ++i) user.roles.push_back(roles.text(i, 0));
  return user;
}

bool SqlKeyStore::set_user_password(const std::string& username, const std::string& password_hash) {
  std::lock_guard lock(mu_);
  return run("set user password", "UPDATE users SET password_hash = $2 WHERE username = $1", {username, password_hash})
             .affected > 0;
}

// ---------------------------------------------------------------------------------------
// Signing keys

void SqlKeyStore::add_signing_key(const SigningKey& k) {
  std::lock_guard lock(mu_);
  run(about("add signing key", k.kid),
      "INSERT INTO signing_keys (kid, alg, private_pem_sealed, public_pem, created_at, signs_from, signs_until, "
      "published_until) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
      {k.kid, k.alg, k.private_pem_sealed, k.public_pem, k.created_at, k.signs_from, k.signs_until, k.published_until});
}

std::vector<SigningKey> SqlKeyStore::signing_keys() {
  std::lock_guard lock(mu_);
  return all(run("list signing keys",
                 "SELECT kid, alg, private_pem_sealed, public_pem, created_at, signs_from, signs_until, "
                 "published_until FROM signing_keys ORDER BY created_at, kid"),
             signing_key_at);
}

int SqlKeyStore::delete_expired_keys(int64_t now) {
  std::lock_guard lock(mu_);
  return static_cast<int>(
      run("delete expired signing keys", "DELETE FROM signing_keys WHERE published_until < $1", {now}).affected);
}

int SqlKeyStore::end_turns_before(const std::string& successor, int64_t signs_until, int64_t published_until) {
  std::lock_guard lock(mu_);
  // CASE rather than MIN/LEAST: the one spelling SQLite and PostgreSQL share.
  return static_cast<int>(run(about("end signing turns before", successor),
                              "UPDATE signing_keys SET signs_until = $2, published_until = CASE WHEN "
                              "published_until > $3 THEN $3 ELSE published_until END "
                              "WHERE kid <> $1 AND signs_until > $2",
                              {successor, signs_until, published_until})
                              .affected);
}

// ---------------------------------------------------------------------------------------
// Refresh tokens

void SqlKeyStore::store_refresh(const RefreshToken& t) {
  std::lock_guard lock(mu_);
  run("store refresh token",
      "INSERT INTO refresh_tokens (token_hash, family_id, client_id, username, scope, expires_at, used) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7)",
      {t.token_hash, t.family_id, t.client_id, t.username, t.scope, t.expires_at, static_cast<int64_t>(t.used)});
}

ConsumeResult SqlKeyStore::consume_refresh(const std::string& token_hash, int64_t now) {
  std::lock_guard lock(mu_);
  // The decision is this one statement: the database lets a single UPDATE flip `used`, so
  // of two consumers of one token (threads, or replicas on PostgreSQL, where the second
  // UPDATE waits for the first's row lock and then no longer matches) exactly one gets it.
  SqlRows won = run("consume refresh token",
                    "UPDATE refresh_tokens SET used = TRUE WHERE token_hash = $1 AND NOT used AND expires_at > $2 "
                    "RETURNING token_hash, family_id, client_id, username, scope, expires_at, used",
                    {token_hash, now});
  if (!won.empty()) return {ConsumeResult::kOk, refresh_at(won, 0)};
  // Lost: find out why. `used` never goes back to false, so what this reads cannot turn the
  // answer into kOk; a concurrent revocation only turns it into kUnknown.
  SqlRows lost = run("read refresh token",
                     "SELECT token_hash, family_id, client_id, username, scope, expires_at, used "
                     "FROM refresh_tokens WHERE token_hash = $1",
                     {token_hash});
  if (lost.empty()) return {ConsumeResult::kUnknown, {}};
  RefreshToken token = refresh_at(lost, 0);
  if (!token.used) return {ConsumeResult::kExpired, token};
  run("revoke reused refresh family", "DELETE FROM refresh_tokens WHERE family_id = $1", {token.family_id});
  return {ConsumeResult::kReused, token};
}

std::optional<RefreshToken> SqlKeyStore::find_refresh(const std::string& token_hash) {
  std::lock_guard lock(mu_);
  SqlRows rows = run("read refresh token",
                     "SELECT token_hash, family_id, client_id, username, scope, expires_at, used "
                     "FROM refresh_tokens WHERE token_hash = $1",
                     {token_hash});
  if (rows.empty()) return std::nullopt;
  return refresh_at(rows, 0);
}

int SqlKeyStore::revoke_refresh_family(const std::string& family_id) {
  std::lock_guard lock(mu_);
  return static_cast<int>(
      run("revoke refresh family", "DELETE FROM refresh_tokens WHERE family_id = $1", {family_id}).affected);
}

int SqlKeyStore::revoke_refresh_of_client(const std::string& client_id) {
  std::lock_guard lock(mu_);
  return static_cast<int>(
      run("revoke refresh tokens of client", "DELETE FROM refresh_tokens WHERE client_id = $1", {client_id}).affected);
}

// ---------------------------------------------------------------------------------------
// Revocations

void SqlKeyStore::add_revocation(const Revocation& r) {
  std::lock_guard lock(mu_);
  WriteTransaction tx(*conn_);
  run("forget expired revocations", "DELETE FROM revocations WHERE expires_at < $1", {r.revoked_at});
  SqlRows added = run(about("revoke token", r.jti),
                      "INSERT INTO revocations (jti, expires_at, revoked_at) VALUES ($1, $2, $3) "
                      "ON CONFLICT (jti) DO NOTHING",
                      {r.jti, r.expires_at, r.revoked_at});
  // Counted in the same transaction, so the version a gateway sees never runs ahead of the
  // list it reads.
  if (added.affected > 0) run("count revocation", "UPDATE counters SET value = value + 1 WHERE name = 'revocations'");
  tx.commit();
}

std::vector<Revocation> SqlKeyStore::revocations_since(int64_t revoked_after) {
  std::lock_guard lock(mu_);
  return all(run("list revocations",
                 "SELECT jti, expires_at, revoked_at FROM revocations WHERE revoked_at > $1 ORDER BY revoked_at, jti",
                 {revoked_after}),
             revocation_at);
}

int64_t SqlKeyStore::revocation_version() {
  std::lock_guard lock(mu_);
  SqlRows v = run("read revocation version", "SELECT value FROM counters WHERE name = 'revocations'");
  return v.empty() ? 0 : v.integer(0, 0);
}

bool SqlKeyStore::is_revoked(const std::string& jti) {
  std::lock_guard lock(mu_);
  return !run("read revocation", "SELECT 1 FROM revocations WHERE jti = $1", {jti}).empty();
}

// ---------------------------------------------------------------------------------------
// Client assertions

bool SqlKeyStore::remember_assertion(const std::string& client_id, const std::string& jti, int64_t expires_at) {
  std::lock_guard lock(mu_);
  run("forget expired assertions", "DELETE FROM client_assertions WHERE expires_at < $1",
      {static_cast<int64_t>(std::time(nullptr))});
  // The primary key decides: of two replicas remembering the same (client, jti), the second
  // inserts nothing.
  return run(about("remember assertion of client", client_id),
             "INSERT INTO client_assertions (client_id, jti, expires_at) VALUES ($1, $2, $3) "
             "ON CONFLICT (client_id, jti) DO NOTHING",
             {client_id, jti, expires_at})
             .affected > 0;
}

}  // namespace postern::keymanager
