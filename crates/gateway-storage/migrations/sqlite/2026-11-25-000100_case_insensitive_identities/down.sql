DROP INDEX users_email_lower_unique;
DROP INDEX users_username_lower_unique;
CREATE UNIQUE INDEX users_username_unique ON users (username);
CREATE UNIQUE INDEX users_email_unique ON users (email);
