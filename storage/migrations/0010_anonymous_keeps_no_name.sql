-- 0009: an anonymous asker ("ẩn danh") is no longer asked for a contact name, and none
-- kept before is shown to anyone: drop them (keep only what the process needs).

UPDATE people SET full_name = NULL WHERE anonymous = 1;
UPDATE questions SET asker_name = NULL WHERE anonymous = 1;
