-- Alias lookups (sign-in by email, phone or preferred_username, and
-- FindUsers in general) ask for one pool's users with one alias value in
-- username order. Indexes on (pool_id, alias) alone let SQLite prefer the
-- primary key for the ORDER BY and scan the whole pool (seconds at 1M users);
-- with username last, the alias index answers the query, order included.
DROP INDEX users_sub;
DROP INDEX users_email;
DROP INDEX users_phone_number;
DROP INDEX users_preferred_username;
CREATE INDEX users_sub ON users (pool_id, sub, username);
CREATE INDEX users_email ON users (pool_id, email, username);
CREATE INDEX users_phone_number ON users (pool_id, phone_number, username);
CREATE INDEX users_preferred_username ON users (pool_id, preferred_username, username);
