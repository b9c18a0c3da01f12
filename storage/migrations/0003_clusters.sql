-- 0003: clusters of duplicate questions, supporters ("Tôi cũng muốn hỏi câu này"),
-- organisers' manual merge/split decisions, and scheduled job runs.

CREATE TABLE clusters (
    id             INTEGER PRIMARY KEY,
    campaign_id    INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    representative INTEGER REFERENCES questions(id) ON DELETE SET NULL,
    rep_chosen     INTEGER NOT NULL DEFAULT 0,   -- representative picked by an organiser
    created_at     TEXT NOT NULL
);
CREATE INDEX clusters_campaign ON clusters(campaign_id);

ALTER TABLE questions ADD COLUMN cluster_id INTEGER REFERENCES clusters(id) ON DELETE SET NULL;
CREATE INDEX questions_cluster ON questions(cluster_id);

CREATE TABLE supports (
    question_id INTEGER NOT NULL REFERENCES questions(id) ON DELETE CASCADE,
    person_id   INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    unit_id     INTEGER REFERENCES units(id),
    created_at  TEXT NOT NULL,
    PRIMARY KEY (question_id, person_id)
);

CREATE TABLE cluster_links (
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    a           INTEGER NOT NULL REFERENCES questions(id) ON DELETE CASCADE,
    b           INTEGER NOT NULL REFERENCES questions(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('must', 'cannot')),
    created_by  INTEGER,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (a, b)
);

CREATE TABLE job_runs (
    job        TEXT NOT NULL,                    -- e.g. digest:role:12, reminder:campaign:3:...
    period     TEXT NOT NULL,                    -- the period or occurrence the run covers
    status     TEXT NOT NULL DEFAULT 'done',
    at         TEXT NOT NULL,
    PRIMARY KEY (job, period)
);
