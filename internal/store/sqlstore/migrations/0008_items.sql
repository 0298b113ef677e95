-- Items: small per-pool documents keyed by (kind, key) — user pool domains
-- (keys are global), resource servers, identity providers, UI
-- customizations, managed-login sessions. expires_at is NULL for items that
-- do not expire.
CREATE TABLE items (
	kind {key} NOT NULL,
	item_key {key} NOT NULL,
	pool_id {key} NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
	data {blob},
	expires_at BIGINT,
	created_at BIGINT,
	updated_at BIGINT,
	PRIMARY KEY (kind, item_key)
);

CREATE INDEX items_pool ON items (pool_id, kind, item_key);
CREATE INDEX items_expires_at ON items (expires_at);
