-- Cognate's initial schema. Neutral types: {key} is a text key compared
-- byte-wise, {blob} raw bytes, {bool} a boolean. Times are BIGINT Unix
-- milliseconds (NULL for the zero time). Every statement ends with ";" at the
-- end of a line.

CREATE TABLE pools (
	id {key} PRIMARY KEY,
	name TEXT NOT NULL,
	config {blob},
	created_at BIGINT,
	updated_at BIGINT
);

CREATE TABLE clients (
	id {key} PRIMARY KEY,
	pool_id {key} NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	secret {blob},
	config {blob},
	created_at BIGINT,
	updated_at BIGINT
);

CREATE INDEX clients_pool ON clients (pool_id, id);

CREATE TABLE users (
	pool_id {key} NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
	username {key} NOT NULL,
	status TEXT NOT NULL,
	enabled {bool} NOT NULL,
	attributes TEXT NOT NULL,
	credentials {blob},
	private {blob},
	sub TEXT,
	email TEXT,
	phone_number TEXT,
	preferred_username TEXT,
	created_at BIGINT,
	updated_at BIGINT,
	PRIMARY KEY (pool_id, username)
);

CREATE INDEX users_sub ON users (pool_id, sub);
CREATE INDEX users_email ON users (pool_id, email);
CREATE INDEX users_phone_number ON users (pool_id, phone_number);
CREATE INDEX users_preferred_username ON users (pool_id, preferred_username);

CREATE TABLE user_groups (
	pool_id {key} NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
	name {key} NOT NULL,
	description TEXT NOT NULL,
	role_arn TEXT NOT NULL,
	precedence BIGINT,
	created_at BIGINT,
	updated_at BIGINT,
	PRIMARY KEY (pool_id, name)
);

CREATE TABLE group_members (
	pool_id {key} NOT NULL,
	group_name {key} NOT NULL,
	username {key} NOT NULL,
	PRIMARY KEY (pool_id, group_name, username),
	FOREIGN KEY (pool_id, group_name) REFERENCES user_groups (pool_id, name) ON DELETE CASCADE,
	FOREIGN KEY (pool_id, username) REFERENCES users (pool_id, username) ON DELETE CASCADE
);

CREATE INDEX group_members_user ON group_members (pool_id, username, group_name);

CREATE TABLE sessions (
	id {key} PRIMARY KEY,
	pool_id TEXT NOT NULL,
	kind TEXT NOT NULL,
	data {blob},
	expires_at BIGINT NOT NULL
);

CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE refresh_tokens (
	id {key} PRIMARY KEY,
	pool_id {key} NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
	client_id TEXT NOT NULL,
	username {key} NOT NULL,
	origin_jti TEXT NOT NULL,
	auth_time BIGINT,
	issued_at BIGINT,
	expires_at BIGINT,
	revoked {bool} NOT NULL
);

CREATE INDEX refresh_tokens_user ON refresh_tokens (pool_id, username);
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);

CREATE TABLE counters (
	name {key} PRIMARY KEY,
	value BIGINT NOT NULL
);

CREATE TABLE revocations (
	seq BIGINT PRIMARY KEY,
	pool_id TEXT NOT NULL,
	kind TEXT NOT NULL,
	value TEXT NOT NULL,
	at_time BIGINT,
	expires_at BIGINT
);

CREATE INDEX revocations_expires_at ON revocations (expires_at);

CREATE TABLE signing_keys (
	pool_id {key} PRIMARY KEY REFERENCES pools (id) ON DELETE CASCADE,
	key_set {blob} NOT NULL
);

CREATE TABLE lockouts (
	pool_id {key} NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
	login_key {key} NOT NULL,
	failures BIGINT NOT NULL,
	last_failure BIGINT,
	locked_until BIGINT,
	PRIMARY KEY (pool_id, login_key)
);

CREATE TABLE deployments (
	api_id {key} NOT NULL,
	id {key} NOT NULL,
	snapshot {blob},
	created_at BIGINT,
	PRIMARY KEY (api_id, id)
);

CREATE TABLE stages (
	api_id {key} NOT NULL,
	name {key} NOT NULL,
	deployment_id TEXT NOT NULL,
	variables TEXT NOT NULL,
	updated_at BIGINT,
	version BIGINT NOT NULL,
	PRIMARY KEY (api_id, name)
);
