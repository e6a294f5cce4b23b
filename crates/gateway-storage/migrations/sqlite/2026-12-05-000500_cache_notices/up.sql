-- Nothing on SQLite: another process's writes are seen through `PRAGMA data_version` on the
-- writer's connection (gateway-storage/src/listen.rs). Kept so that both backends list the same
-- migrations.
SELECT 1;
