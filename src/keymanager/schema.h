#pragma once
// The key manager's tables, written once for SQLite and PostgreSQL (both accept these
// types and clauses), so the two stores cannot drift apart. Created on open when missing.
//
// Deletes cascade along the foreign keys: an application takes its clients and
// subscriptions with it, a client its refresh tokens and remembered assertions, a user its
// roles. The schema_version table holds one row; a database from a newer build (a higher
// version) is refused rather than misread.
#include <cstdint>

namespace postern::keymanager {

inline constexpr int64_t kSchemaVersion = 1;

inline constexpr const char* kSchemaStatements[] = {
    "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS applications (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, tier TEXT NOT NULL, "
    "owner TEXT NOT NULL, created_at BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS clients (client_id TEXT PRIMARY KEY, "
    "application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE, secret_hash TEXT NOT NULL, "
    "key_type TEXT NOT NULL, public_key_pem TEXT NOT NULL, created_at BIGINT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS clients_application ON clients (application_id)",
    "CREATE TABLE IF NOT EXISTS subscriptions ("
    "application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE, api_name TEXT NOT NULL, "
    "api_version TEXT NOT NULL, tier TEXT NOT NULL, PRIMARY KEY (application_id, api_name, api_version))",
    "CREATE TABLE IF NOT EXISTS users (username TEXT PRIMARY KEY, password_hash TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS user_roles (username TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE, "
    "ordinal BIGINT NOT NULL, role TEXT NOT NULL, PRIMARY KEY (username, ordinal))",
    "CREATE TABLE IF NOT EXISTS signing_keys (kid TEXT PRIMARY KEY, alg TEXT NOT NULL, "
    "private_pem_sealed TEXT NOT NULL, public_pem TEXT NOT NULL, created_at BIGINT NOT NULL, "
    "signs_from BIGINT NOT NULL, signs_until BIGINT NOT NULL, published_until BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS refresh_tokens (token_hash TEXT PRIMARY KEY, family_id TEXT NOT NULL, "
    "client_id TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE, username TEXT NOT NULL, "
    "scope TEXT NOT NULL, expires_at BIGINT NOT NULL, used BOOLEAN NOT NULL)",
    "CREATE INDEX IF NOT EXISTS refresh_tokens_family ON refresh_tokens (family_id)",
    "CREATE INDEX IF NOT EXISTS refresh_tokens_client ON refresh_tokens (client_id)",
    "CREATE TABLE IF NOT EXISTS revocations (jti TEXT PRIMARY KEY, expires_at BIGINT NOT NULL, "
    "revoked_at BIGINT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS revocations_revoked_at ON revocations (revoked_at)",
    "CREATE INDEX IF NOT EXISTS revocations_expires_at ON revocations (expires_at)",
    // Named counters that only grow: "revocations" is revocation_version().
    "CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS client_assertions ("
    "client_id TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE, jti TEXT NOT NULL, "
    "expires_at BIGINT NOT NULL, PRIMARY KEY (client_id, jti))",
    "CREATE INDEX IF NOT EXISTS client_assertions_expires_at ON client_assertions (expires_at)",
};

}  // namespace postern::keymanager
