-- Refresh tokens are sealed state carried by the token itself (see
-- internal/userpool/refresh_tokens.go); nothing reads or writes this table.
DROP INDEX refresh_tokens_user;
DROP INDEX refresh_tokens_expires_at;
DROP TABLE refresh_tokens;
