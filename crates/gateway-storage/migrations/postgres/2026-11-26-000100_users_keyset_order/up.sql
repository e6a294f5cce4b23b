-- The keyset order of the users collection (gateway_core::UserQuery): (key, id) for each key, so
-- that a page starts at the cursor's position in the index and reads limit + 1 rows in order,
-- either direction.
CREATE INDEX users_signed_up_at_id ON users (signed_up_at, id);
CREATE INDEX users_last_active_at_id ON users (last_active_at, id);
