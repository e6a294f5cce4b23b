-- Nothing on SQLite: its writes are serial (one writer thread), so identity values need no lock.
SELECT 1;
