-- 0009: what follows the questions. A province's departments ("sở, ban, ngành") as a
-- registry with aliases (old pre-2025 names, abbreviations); answers recorded as drafts
-- and published once; the live programme ("kịch bản"); the chair's conclusion notice
-- ("thông báo kết luận") with the questions it covers and the commitments it makes.
-- Department references elsewhere (topics, questions, roles, invites) stay text columns
-- holding the registry's official name; a rename rewrites them.

CREATE TABLE departments (
    id            INTEGER PRIMARY KEY,
    province_code TEXT NOT NULL,                 -- the province unit's code, e.g. p04
    name          TEXT NOT NULL,                 -- official name, e.g. "Sở Nội vụ"
    search_key    TEXT NOT NULL,                 -- folded name (accent-free lookup)
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (province_code, search_key)
);

CREATE TABLE department_aliases (
    department_id INTEGER NOT NULL REFERENCES departments(id) ON DELETE CASCADE,
    alias         TEXT NOT NULL,                 -- old name or abbreviation, as written
    search_key    TEXT NOT NULL,
    PRIMARY KEY (department_id, search_key)
);

-- An answer is a draft (editable) until it is published: publishing tells the asker and
-- the supporters, once, and fixes the text.
ALTER TABLE questions ADD COLUMN answer_published_at TEXT;

CREATE TABLE programme_items (
    id            INTEGER PRIMARY KEY,
    campaign_id   INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    question_id   INTEGER NOT NULL REFERENCES questions(id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('proposed', 'pinned', 'dropped')),
    wording       TEXT,                          -- organisers' wording; the asker's stays
    answerer_kind TEXT NOT NULL DEFAULT 'chair'
                  CHECK (answerer_kind IN ('chair', 'department', 'person')),
    answerer      TEXT,                          -- department name or a person's title/name
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (campaign_id, question_id)
);
CREATE INDEX programme_campaign ON programme_items(campaign_id, state, position);

CREATE TABLE conclusions (
    campaign_id  INTEGER PRIMARY KEY REFERENCES campaigns(id) ON DELETE CASCADE,
    summary      TEXT NOT NULL DEFAULT '',       -- the chair's general conclusion
    published_at TEXT,
    published_by INTEGER,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

-- The chair's answer to one question at the dialogue, and the questions it covers (the
-- question itself, plus any an official chose to extend it to).
CREATE TABLE conclusion_entries (
    question_id  INTEGER PRIMARY KEY REFERENCES questions(id) ON DELETE CASCADE,
    campaign_id  INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    text         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX conclusion_entries_campaign ON conclusion_entries(campaign_id);

CREATE TABLE conclusion_covers (
    entry_question_id INTEGER NOT NULL REFERENCES conclusion_entries(question_id)
                      ON DELETE CASCADE,
    question_id       INTEGER NOT NULL REFERENCES questions(id) ON DELETE CASCADE,
    PRIMARY KEY (entry_question_id, question_id)
);

CREATE TABLE commitments (
    id          INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    question_id INTEGER REFERENCES questions(id) ON DELETE SET NULL,
    text        TEXT NOT NULL,
    owner       TEXT NOT NULL,                   -- a department's official name
    due_date    TEXT NOT NULL,                   -- local date YYYY-MM-DD
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'dropped')),
    note        TEXT NOT NULL DEFAULT '',
    done_at     TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX commitments_campaign ON commitments(campaign_id, status, due_date);
