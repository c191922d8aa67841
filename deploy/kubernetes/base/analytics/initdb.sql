-- Runs once, when the data volume is empty (the postgres image's /docker-entrypoint-initdb.d).
-- The analytics database is POSTGRES_DB; the key manager gets its own database.
CREATE DATABASE keymanager OWNER postern;
