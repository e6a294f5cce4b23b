DROP INDEX users_last_active_at_id;
DROP INDEX users_signed_up_at_id;
