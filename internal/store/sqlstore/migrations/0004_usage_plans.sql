-- Usage-plan counters of API keys, shared by every node: one row per plan,
-- key and period ("D2026-12-01" a day, "W2026-11-30" the week starting that
-- Monday, "M2026-12" a month).
CREATE TABLE usage_counters (
	plan_id {key} NOT NULL,
	key_id {key} NOT NULL,
	period {key} NOT NULL,
	count BIGINT NOT NULL,
	PRIMARY KEY (plan_id, key_id, period)
);
