-- Passkeys (WebAuthn credentials) of users. A credential id is unique in
-- its pool; a credential goes with its user. data is the credential as the
-- userpool package encodes it (public key, sign count, flags).
CREATE TABLE passkeys (
	pool_id {key} NOT NULL,
	id {key} NOT NULL,
	username {key} NOT NULL,
	data {blob},
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (pool_id, id),
	FOREIGN KEY (pool_id, username) REFERENCES users (pool_id, username) ON DELETE CASCADE
);
CREATE INDEX passkeys_by_user ON passkeys (pool_id, username, created_at);
