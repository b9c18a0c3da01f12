-- 0009: set-up and operation. A unit can be hidden from the young people's unit picker
-- (a duplicate or mistaken import that questions still refer to) and renamed by hand (a
-- later `units load` keeps the new name); a campaign names its organiser and a contact for
-- posters; database_info records what the file is for (the demo marks its own file).

ALTER TABLE units ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;
ALTER TABLE units ADD COLUMN renamed INTEGER NOT NULL DEFAULT 0;

ALTER TABLE campaigns ADD COLUMN organiser TEXT NOT NULL DEFAULT '';
ALTER TABLE campaigns ADD COLUMN contact TEXT NOT NULL DEFAULT '';

CREATE TABLE database_info (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
