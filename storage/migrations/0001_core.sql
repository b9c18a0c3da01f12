-- 0001: units, campaigns and their timeline, topics, people, identities, consents,
-- questions, conversation state and the audit log. Times are UTC ISO-8601 text.

CREATE TABLE units (
    id            INTEGER PRIMARY KEY,
    code          TEXT NOT NULL UNIQUE,          -- short, stable, deep-link safe
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,                 -- province, commune, ward, special_zone, school, ...
    province_code TEXT,
    parent_code   TEXT,
    address       TEXT NOT NULL DEFAULT '',
    search_key    TEXT NOT NULL,                 -- folded name for accent-insensitive search
    source        TEXT NOT NULL,                 -- vietnam-provinces or csv
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL
);
CREATE INDEX units_province ON units(province_code, kind);

CREATE TABLE campaigns (
    id              INTEGER PRIMARY KEY,
    title           TEXT NOT NULL,
    theme           TEXT NOT NULL DEFAULT '',
    level           TEXT NOT NULL CHECK (level IN ('province', 'commune')),
    host_unit_id    INTEGER NOT NULL REFERENCES units(id),
    dialogue_date   TEXT NOT NULL,               -- local date YYYY-MM-DD
    complex         INTEGER NOT NULL DEFAULT 0,  -- conclusion within 15 days instead of 10
    allow_anonymous INTEGER NOT NULL DEFAULT 1,
    accept_late     INTEGER NOT NULL DEFAULT 0,
    status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

CREATE TABLE campaign_deadlines (
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    due_date    TEXT NOT NULL,                   -- local date YYYY-MM-DD
    overridden  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, kind)
);

CREATE TABLE topics (
    id          INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    position    INTEGER NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1,
    UNIQUE (campaign_id, name)
);

CREATE TABLE people (
    id           INTEGER PRIMARY KEY,
    full_name    TEXT,
    display_name TEXT,
    unit_id      INTEGER REFERENCES units(id),
    category     TEXT,
    language     TEXT NOT NULL DEFAULT 'vi',
    anonymous    INTEGER NOT NULL DEFAULT 0,
    unreachable  INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

CREATE TABLE identities (
    person_id   INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    channel     TEXT NOT NULL,
    external_id TEXT NOT NULL,                   -- platform id as text (Zalo ids are hex)
    chat_id     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (channel, external_id)
);
CREATE INDEX identities_person ON identities(person_id);

CREATE TABLE consents (
    id           INTEGER PRIMARY KEY,
    person_id    INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    version      TEXT NOT NULL,
    granted_at   TEXT NOT NULL,
    withdrawn_at TEXT
);
CREATE INDEX consents_person ON consents(person_id);

CREATE TABLE questions (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
    person_id   INTEGER REFERENCES people(id) ON DELETE SET NULL,
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    topic_id    INTEGER NOT NULL REFERENCES topics(id),
    category    TEXT,
    text        TEXT NOT NULL,
    asker_name  TEXT,                            -- as given when asked
    anonymous   INTEGER NOT NULL DEFAULT 0,
    channel     TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'submitted',
    late        INTEGER NOT NULL DEFAULT 0,
    answer      TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX questions_campaign ON questions(campaign_id, status);
CREATE INDEX questions_person ON questions(person_id, created_at);
CREATE INDEX questions_unit ON questions(campaign_id, unit_id);

CREATE TABLE conversations (
    person_id  INTEGER PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,
    state      TEXT NOT NULL,
    step       INTEGER NOT NULL DEFAULT 0,       -- bumps with every prompt: stale buttons differ
    data       TEXT NOT NULL DEFAULT '{}',       -- JSON draft
    updated_at TEXT NOT NULL
);

CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor_id  INTEGER,
    action    TEXT NOT NULL,
    target    TEXT NOT NULL DEFAULT '',
    detail    TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_action ON audit_log(action, at);
