-- The identity locks of a change of username or email (gateway-storage/src/identities.rs): the
-- transaction-scoped advisory lock of each value, lower-cased, in the order given (the caller
-- sorts them), in one call that a typed, prepared statement can select next to the user's row.
-- 72422 is `locks::IDENTITIES`.
CREATE FUNCTION claim_identities(claimed TEXT[]) RETURNS BIGINT
LANGUAGE sql VOLATILE AS $$
  SELECT count(pg_advisory_xact_lock(72422, hashtext(lower(v)))) FROM unnest(claimed) AS v
$$;
