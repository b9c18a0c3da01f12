-- 0009: replies are durable, and the update inbox takes any platform's ids.
--
-- reply_outbox: the replies to one handled event, stored in the transaction that handled
-- it and deleted once delivered. Rows of one chat are delivered in id order. A row is
-- claimed by the worker that stored it (claimed_by); rows a dead worker held may have
-- been delivered already, so they are sent again marked resent. Ids are handed out by the
-- storing process (storage/replies.py), so the insert needs no answer back.

CREATE TABLE reply_outbox (
    id          INTEGER PRIMARY KEY,
    channel     TEXT NOT NULL,
    chat_id     TEXT NOT NULL,
    person_id   INTEGER REFERENCES people(id) ON DELETE SET NULL,  -- NULL: erased (/xoa)
    body        TEXT NOT NULL,                   -- JSON: the replies and the pressed prompt
    created_at  TEXT NOT NULL,
    claimed_by  TEXT,                            -- the worker delivering it; NULL: free
    resent      INTEGER NOT NULL DEFAULT 0       -- may have been delivered before
);
-- No index beyond the key: the table holds only what is not delivered yet (a few rows, or
-- a few hundred during an outage), and each index would be one more page written per event.

-- update_inbox again, with text ids (Zalo's message ids are hex) and an arrival order.
-- A row lives from the poll that brought the update until the transaction that handles it.

CREATE TABLE update_inbox_new (
    channel     TEXT NOT NULL,
    update_id   TEXT NOT NULL,
    seq         INTEGER NOT NULL,                -- arrival order (Telegram: the update id)
    payload     TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (channel, update_id)
);
INSERT INTO update_inbox_new (channel, update_id, seq, payload, received_at)
    SELECT channel, CAST(update_id AS TEXT), update_id, payload, received_at FROM update_inbox;
DROP TABLE update_inbox;
ALTER TABLE update_inbox_new RENAME TO update_inbox;
CREATE INDEX update_inbox_order ON update_inbox(channel, seq);
