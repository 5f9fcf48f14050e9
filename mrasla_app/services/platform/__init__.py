"""What every service stands on: audit chain, jobs, storage and spool, file checks, backups, keys, seed."""
