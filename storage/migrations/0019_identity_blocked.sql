-- 0019: a person who blocked the bot on one app is still reached on the other. Blocking
-- is a fact about one identity (a chat): ``identities.blocked``; ``people.unreachable``
-- now means that every identity of the person is blocked. Until now a 403 on one app
-- marked the whole person: their identities start blocked, and each is free again when
-- the person comes back on it.

ALTER TABLE identities ADD COLUMN blocked INTEGER NOT NULL DEFAULT 0;

UPDATE identities SET blocked = 1
    WHERE person_id IN (SELECT id FROM people WHERE unreachable = 1);
