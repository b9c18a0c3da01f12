-- 0008: a message found in flight after a crash is sent again and marked, so the
-- broadcast report can say that its recipient may have received it twice.

ALTER TABLE outbox ADD COLUMN resent INTEGER NOT NULL DEFAULT 0;
