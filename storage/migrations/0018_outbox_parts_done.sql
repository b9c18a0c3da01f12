-- 0018: how many messages of a long outbox message (a reply cut in several parts) are
-- delivered already: a retry after a failure goes on from the first part not delivered,
-- so an outage in the middle of an answer does not show its first part twice.

ALTER TABLE outbox ADD COLUMN parts_done INTEGER NOT NULL DEFAULT 0;
