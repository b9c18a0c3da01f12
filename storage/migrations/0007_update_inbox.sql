-- 0007: polled updates are stored before they are confirmed to the platform.
-- A row lives from the poll that brought it until its update and every earlier one are
-- handled; a restart handles what is left (the engine's processed_updates keeps that once).

CREATE TABLE update_inbox (
    channel     TEXT NOT NULL,
    update_id   INTEGER NOT NULL,
    payload     TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (channel, update_id)
) WITHOUT ROWID;
