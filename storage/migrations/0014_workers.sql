-- 0009: several workers over one shared database (PostgreSQL). Who is alive (a heartbeat),
-- leases on the work one worker must do alone (the scheduler), the bot's sending rates
-- shared by every worker (token buckets), and which worker claimed an outbox message (a
-- message in flight is retried only once its worker is gone). Times here are seconds
-- since 1970 on the database server's clock, so the workers' own clocks never disagree.

CREATE TABLE workers (
    id           TEXT PRIMARY KEY,               -- host:pid:random
    started_at   DOUBLE PRECISION NOT NULL,
    heartbeat_at DOUBLE PRECISION NOT NULL
);

CREATE TABLE leases (
    name       TEXT PRIMARY KEY,                 -- e.g. scheduler
    holder     TEXT NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL
);

CREATE TABLE rate_buckets (
    name       TEXT PRIMARY KEY,                 -- telegram, zalo
    tokens     DOUBLE PRECISION NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL
);

ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
