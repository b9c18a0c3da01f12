-- 0017: the questions still waiting for an answer (/traloi with no code lists them, the
-- reminders count them per department). Partial, so it holds only the unanswered ones and
-- those lists and counts no longer read every question of a large campaign.

CREATE INDEX questions_waiting ON questions(campaign_id, cluster_id, topic_id, department)
    WHERE answer IS NULL AND status != 'withdrawn';

-- Drafted answers not sent yet (/traloi counts them, /congbo tatca sends them): few rows.
CREATE INDEX questions_drafts ON questions(campaign_id)
    WHERE answer IS NOT NULL AND answer_published_at IS NULL;
