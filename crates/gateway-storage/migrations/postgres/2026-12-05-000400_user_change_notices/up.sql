-- Every change of a `users` row is announced on channel `gateway_users` when its transaction
-- commits, whoever writes it (gateway-storage/src/listen.rs): `<id> <version>` for an insert or an
-- update (every change bumps `version`), `<id> -` for a delete, `*` for a TRUNCATE. Each instance
-- listens and drops what its user cache holds older than that.
CREATE FUNCTION gateway_users_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('gateway_users', OLD.id || ' -');
  ELSE
    PERFORM pg_notify('gateway_users', NEW.id || ' ' || NEW.version);
  END IF;
  RETURN NULL;
END
$$;

CREATE FUNCTION gateway_users_truncated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('gateway_users', '*');
  RETURN NULL;
END
$$;

CREATE TRIGGER users_changed AFTER INSERT OR UPDATE OR DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION gateway_users_changed();
CREATE TRIGGER users_truncated AFTER TRUNCATE ON users
  FOR EACH STATEMENT EXECUTE FUNCTION gateway_users_truncated();
