-- 0016: what a young person says back about an answer ("ý kiến phản hồi"): "em chưa hài
-- lòng", "trả lời chưa rõ ạ". Kept with the question it is about, for the officials who
-- answered; the text stays when the person erases their data (/xoa), as questions do.

CREATE TABLE answer_feedback (
    id          INTEGER PRIMARY KEY,
    question_id INTEGER NOT NULL REFERENCES questions(id) ON DELETE CASCADE,
    person_id   INTEGER REFERENCES people(id) ON DELETE SET NULL,  -- NULL: erased (/xoa)
    supporter   INTEGER NOT NULL DEFAULT 0,       -- said by a supporter, not the asker
    text        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX answer_feedback_question ON answer_feedback(question_id, id);

-- Who supports what, by person: /cauhoi lists what one supports, and a message after the
-- answers looks for answers one was told; without it both read every support.
CREATE INDEX supports_person ON supports(person_id);
