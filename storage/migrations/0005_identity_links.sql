-- 0005: one-time codes that link a person's identities on two chat platforms ("liên kết"):
-- issued on one channel, typed on the other. Only the sha256 of a code is stored.

CREATE TABLE link_codes (
    id         INTEGER PRIMARY KEY,
    code_hash  TEXT NOT NULL,                    -- sha256 hex of the code; the code is never stored
    person_id  INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    channel    TEXT NOT NULL,                    -- where it was issued (it is typed on another)
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
);
CREATE INDEX link_codes_hash ON link_codes(code_hash);
CREATE INDEX link_codes_person ON link_codes(person_id);
