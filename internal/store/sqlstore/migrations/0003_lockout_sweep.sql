-- The lockouts table now also holds code-issue and code-guess counters, for
-- unknown names too; DeleteStaleLockouts sweeps the old ones by last_failure.
CREATE INDEX lockouts_last_failure ON lockouts (last_failure);
