-- The rest of what the cache holds (gateway-storage/src/cache/) is announced on `gateway_users`
-- too, when its transaction commits, whoever writes it: `m <user id>` for a change of a user's
-- team memberships, `m *` when a team changes (every member's memberships show it), `s <user id>`
-- for a session that starts, ends or is deleted, `p <project id>` for a changed project, and `*`
-- when any of these tables is truncated. Each instance listens and drops what it holds (listen.rs).
CREATE FUNCTION gateway_memberships_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('gateway_users', 'm ' || OLD.user_id);
  ELSE
    PERFORM pg_notify('gateway_users', 'm ' || NEW.user_id);
    IF TG_OP = 'UPDATE' AND OLD.user_id <> NEW.user_id THEN
      PERFORM pg_notify('gateway_users', 'm ' || OLD.user_id);
    END IF;
  END IF;
  RETURN NULL;
END
$$;

CREATE FUNCTION gateway_teams_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('gateway_users', 'm *');
  RETURN NULL;
END
$$;

CREATE FUNCTION gateway_sessions_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('gateway_users', 's ' || OLD.user_id);
  ELSE
    PERFORM pg_notify('gateway_users', 's ' || NEW.user_id);
    IF TG_OP = 'UPDATE' AND OLD.user_id <> NEW.user_id THEN
      PERFORM pg_notify('gateway_users', 's ' || OLD.user_id);
    END IF;
  END IF;
  RETURN NULL;
END
$$;

CREATE FUNCTION gateway_projects_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('gateway_users', 'p ' || OLD.id);
  RETURN NULL;
END
$$;

CREATE TRIGGER team_memberships_changed AFTER INSERT OR UPDATE OR DELETE ON team_memberships
  FOR EACH ROW EXECUTE FUNCTION gateway_memberships_changed();
CREATE TRIGGER team_memberships_truncated AFTER TRUNCATE ON team_memberships
  FOR EACH STATEMENT EXECUTE FUNCTION gateway_users_truncated();
-- A new team is in nobody's memberships until a membership row names it.
CREATE TRIGGER teams_changed AFTER UPDATE OR DELETE ON teams
  FOR EACH STATEMENT EXECUTE FUNCTION gateway_teams_changed();
CREATE TRIGGER teams_truncated AFTER TRUNCATE ON teams
  FOR EACH STATEMENT EXECUTE FUNCTION gateway_users_truncated();
-- A use of a refresh token (`last_used_at`) changes no count.
CREATE TRIGGER sessions_changed
  AFTER INSERT OR DELETE OR UPDATE OF user_id, revoked_at, expires_at ON sessions
  FOR EACH ROW EXECUTE FUNCTION gateway_sessions_changed();
CREATE TRIGGER sessions_truncated AFTER TRUNCATE ON sessions
  FOR EACH STATEMENT EXECUTE FUNCTION gateway_users_truncated();
CREATE TRIGGER projects_changed AFTER UPDATE OR DELETE ON projects
  FOR EACH ROW EXECUTE FUNCTION gateway_projects_changed();
CREATE TRIGGER projects_truncated AFTER TRUNCATE ON projects
  FOR EACH STATEMENT EXECUTE FUNCTION gateway_users_truncated();
