-- 0002: roles and invite codes, the outbox of messages to send, and processed updates
-- (so a redelivered platform update is handled once).

CREATE TABLE roles (
    id          INTEGER PRIMARY KEY,
    person_id   INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    role        TEXT NOT NULL CHECK (role IN ('secretary', 'organiser', 'department', 'admin')),
    unit_id     INTEGER REFERENCES units(id),
    campaign_id INTEGER REFERENCES campaigns(id),
    department  TEXT,
    email       TEXT,
    granted_by  INTEGER,
    granted_at  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE INDEX roles_person ON roles(person_id);

CREATE TABLE invites (
    id          INTEGER PRIMARY KEY,
    code_hash   TEXT NOT NULL UNIQUE,            -- sha256 of the code; the code is never stored
    role        TEXT NOT NULL,
    unit_id     INTEGER REFERENCES units(id),
    campaign_id INTEGER REFERENCES campaigns(id),
    department  TEXT,
    created_by  INTEGER,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT,
    used_by     INTEGER
);

CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY,
    person_id     INTEGER REFERENCES people(id) ON DELETE CASCADE,
    channel       TEXT NOT NULL,
    chat_id       TEXT NOT NULL,
    kind          TEXT NOT NULL,                 -- reply, broadcast, reminder, digest, answer
    body          TEXT NOT NULL,                 -- JSON-encoded reply
    dedup_key     TEXT UNIQUE,                   -- a reminder or digest is queued once
    batch_id      INTEGER,
    status        TEXT NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'blocked')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_attempt  TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    sent_at       TEXT,
    error         TEXT
);
CREATE INDEX outbox_due ON outbox(status, next_attempt);
CREATE INDEX outbox_batch ON outbox(batch_id, status);

CREATE TABLE processed_updates (
    channel    TEXT NOT NULL,
    update_id  TEXT NOT NULL,
    at         TEXT NOT NULL,
    PRIMARY KEY (channel, update_id)
);
