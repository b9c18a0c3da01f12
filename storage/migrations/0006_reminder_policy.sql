-- 0006: reminder timing per campaign (days before each deadline, local hour).

ALTER TABLE campaigns ADD COLUMN reminder_days TEXT NOT NULL DEFAULT '7,3,1,0';
ALTER TABLE campaigns ADD COLUMN reminder_hour INTEGER NOT NULL DEFAULT 8;
