-- Usernames and emails are unique regardless of letter case: `Demo` and `demo` are one name
-- (docs/dialects/*.md, "Uniqueness of usernames and emails"). The case-sensitive indexes give way
-- to indexes on lower(...); lower() folds ASCII letters on SQLite.
--
-- A database that already holds two usernames (or two emails) differing only in case cannot get
-- the new index. The migration then stops with the message below (the gateway refuses to start
-- and names the problem) instead of renaming or merging anyone: the operator decides which
-- account keeps the name. Nothing is changed until the duplicates are gone; the message carries
-- the query that lists them (SQLite's RAISE takes a constant text only).
CREATE TEMP TABLE identity_case_guard (what TEXT NOT NULL);
CREATE TEMP TRIGGER identity_case_guard_abort BEFORE INSERT ON identity_case_guard
BEGIN
    SELECT RAISE(ABORT, 'usernames or emails that differ only in letter case exist (SELECT lower(username) FROM users GROUP BY 1 HAVING count(*) > 1, and the same for email): rename all but one of each group, then start the gateway again');
END;
INSERT INTO identity_case_guard
SELECT 'username' WHERE EXISTS (
    SELECT 1 FROM users GROUP BY lower(username) HAVING count(*) > 1
);
INSERT INTO identity_case_guard
SELECT 'email' WHERE EXISTS (
    SELECT 1 FROM users WHERE email IS NOT NULL GROUP BY lower(email) HAVING count(*) > 1
);
DROP TRIGGER identity_case_guard_abort;
DROP TABLE identity_case_guard;

DROP INDEX users_username_unique;
DROP INDEX users_email_unique;
CREATE UNIQUE INDEX users_username_lower_unique ON users (lower(username));
CREATE UNIQUE INDEX users_email_lower_unique ON users (lower(email));
