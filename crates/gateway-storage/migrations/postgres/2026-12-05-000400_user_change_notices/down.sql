DROP TRIGGER users_truncated ON users;
DROP TRIGGER users_changed ON users;
DROP FUNCTION gateway_users_truncated();
DROP FUNCTION gateway_users_changed();
