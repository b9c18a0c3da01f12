-- 0004: what running a campaign needs beyond intake: reminder opt-out, routing of topic
-- groups and questions to departments (sở, ngành), broadcasts and digest subscriptions.

ALTER TABLE people ADD COLUMN reminders_opt_out INTEGER NOT NULL DEFAULT 0;

ALTER TABLE topics ADD COLUMN department TEXT;
ALTER TABLE questions ADD COLUMN department TEXT;
ALTER TABLE questions ADD COLUMN answered_at TEXT;
ALTER TABLE questions ADD COLUMN answered_by TEXT;

CREATE TABLE broadcasts (
    id          INTEGER PRIMARY KEY,
    campaign_id INTEGER REFERENCES campaigns(id),
    author_id   INTEGER REFERENCES people(id) ON DELETE SET NULL,
    audience    TEXT NOT NULL,
    unit_id     INTEGER REFERENCES units(id),
    text        TEXT NOT NULL,
    recipients  INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    reported_at TEXT                             -- final report sent to the author
);

CREATE TABLE digest_subscriptions (
    id         INTEGER PRIMARY KEY,
    role_id    INTEGER NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    frequency  TEXT NOT NULL CHECK (frequency IN ('daily', 'weekly')),
    hour       INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
    weekday    INTEGER CHECK (weekday BETWEEN 0 AND 6),   -- 0 = Monday, for weekly
    email      TEXT,
    active     INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);
