-- The message outbox: the last messages (codes, invitations) sent to each
-- pool's users, sealed by the caller, for `cognate outbox` and
-- /_cognate/outbox/{poolId}. Shared by every node of a deployment.
CREATE TABLE outbox (
	pool_id {key} NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
	seq BIGINT NOT NULL,
	created_at BIGINT NOT NULL,
	data {blob},
	PRIMARY KEY (pool_id, seq)
);
