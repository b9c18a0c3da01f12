-- 0009: whether the similar-question prompt at intake may show questions of other units
-- (a campaign's choice; off by default: young people see questions of their own unit
-- and the wordings organisers approved as representatives, never anonymous ones).

ALTER TABLE campaigns ADD COLUMN similar_other_units INTEGER NOT NULL DEFAULT 0;
