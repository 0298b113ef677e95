-- Per-pool user counters (issue #16): CountUsers (DescribeUserPool's
-- EstimatedNumberOfUsers) reads these few rows instead of counting the
-- pool's users. Every user insert and delete adjusts them in its own
-- transaction. A pool's count is spread over shards (a hash of the username
-- picks one) so that concurrent sign-ups in one pool rarely write the same
-- row; the count is the sum of the pool's shards, and a single shard may go
-- negative (the backfill below puts existing users in shard 0).
CREATE TABLE user_counts (
	pool_id {key} NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
	shard BIGINT NOT NULL,
	n BIGINT NOT NULL,
	PRIMARY KEY (pool_id, shard)
);

INSERT INTO user_counts (pool_id, shard, n) SELECT pool_id, 0, COUNT(*) FROM users GROUP BY pool_id;
