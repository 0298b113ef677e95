-- Token buckets of usage-plan throttles (per API key, plan and stage),
-- shared by every node: tokens in millionths, the last refill in Unix ms.
CREATE TABLE token_buckets (
	bkey {key} NOT NULL PRIMARY KEY,
	micro BIGINT NOT NULL,
	at_ms BIGINT NOT NULL
);

-- A stage's settings as the gateway applies them (method throttling and
-- caching), opaque JSON; NULL when the stage has none.
ALTER TABLE stages ADD COLUMN settings {blob};
