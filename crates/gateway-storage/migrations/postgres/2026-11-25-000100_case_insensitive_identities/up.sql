-- Usernames and emails are unique regardless of letter case: `Demo` and `demo` are one name
-- (docs/dialects/*.md, "Uniqueness of usernames and emails"). The case-sensitive indexes give way
-- to indexes on lower(...).
--
-- A database that already holds two usernames (or two emails) differing only in case cannot get
-- the new index. The migration then stops with an error naming up to ten groups (the gateway
-- refuses to start) instead of renaming or merging anyone: the operator decides which account
-- keeps the name. Nothing is changed until the duplicates are gone.
DO $$
DECLARE
    found TEXT;
BEGIN
    SELECT string_agg(grp, '; ') INTO found FROM (
        SELECT 'username ' || string_agg(username, ' / ' ORDER BY username) AS grp
        FROM users GROUP BY lower(username) HAVING count(*) > 1
        UNION ALL
        SELECT 'email ' || string_agg(email, ' / ' ORDER BY email)
        FROM users WHERE email IS NOT NULL GROUP BY lower(email) HAVING count(*) > 1
        LIMIT 10
    ) dup;
    IF found IS NOT NULL THEN
        RAISE EXCEPTION 'usernames or emails that differ only in letter case exist (%): rename all but one of each group, then start the gateway again', found;
    END IF;
END
$$;

DROP INDEX users_username_unique;
DROP INDEX users_email_unique;
CREATE UNIQUE INDEX users_username_lower_unique ON users (lower(username));
CREATE UNIQUE INDEX users_email_lower_unique ON users (lower(email));
