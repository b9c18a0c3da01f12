"""Questions ("câu hỏi, ý kiến, kiến nghị") and their supporters."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from storage.db import Database, Row, Script, one
from storage.models import AnswerFeedback, NewQuestion, Question
from storage.times import from_utc_text, to_utc_text

# No 0/O, 1/I/L: codes are read aloud and typed on phones.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6

OPEN_STATUSES = ("submitted", "forwarded", "answered")

#: The chair answered it at the dialogue (an entry of the conclusion notice, or a question
#: an entry covers): no department is asked for it again, nor reminded of it.
ANSWERED_LIVE = (
    "(EXISTS (SELECT 1 FROM conclusion_entries e WHERE e.question_id = q.id)"
    " OR EXISTS (SELECT 1 FROM conclusion_covers c WHERE c.question_id = q.id))"
)
NOT_ANSWERED_LIVE = " AND NOT " + ANSWERED_LIVE


def _routed_to(departments: Sequence[str]) -> tuple[str, list[object]]:
    """The clause (and its values) keeping the questions routed to one of
    ``departments`` (not empty): their own department, else their topic group's."""
    marks = ",".join("?" * len(departments))
    return f" AND coalesce(q.department, t.department) IN ({marks})", list(departments)


# What is typed or copied around and inside a code: spaces (also non-breaking), the
# commas of a list the bot printed ("6C548B, 7ATYGC"), quotes, "#", a colon after it.
_NOT_IN_CODE = re.compile(r"[\s,;:.#()\[\]\"'“”‘’«»]+")
_CODE_SEPARATORS = re.compile(r"[\s,;]+")


def clean_code(text: str) -> str:
    """A question's code as stored, from what an official typed or pasted: "6c548b,",
    " 6C5 48B ", "#6C548B" and "“6C548B”" are all "6C548B"."""
    return _NOT_IN_CODE.sub("", text).upper()


def split_codes(texts: Iterable[str]) -> list[str]:
    """The codes in words typed or pasted as a list ("6C548B, 7ATYGC", "6C548B,7ATYGC",
    each in its own argument), cleaned, in order, each once."""
    codes: list[str] = []
    for text in texts:
        for word in _CODE_SEPARATORS.split(text):
            code = clean_code(word)
            if code and code not in codes:
                codes.append(code)
    return codes


_INSERT = (
    "INSERT INTO questions (code, campaign_id, person_id, unit_id, topic_id, category, text,"
    " asker_name, anonymous, channel, late, created_at, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _insert_row(q: NewQuestion, code: str, at: str) -> tuple[object, ...]:
    return (
        code,
        q.campaign_id,
        q.person_id,
        q.unit_id,
        q.topic_id,
        q.category,
        q.text,
        q.asker_name,
        int(q.anonymous),
        q.channel,
        int(q.late),
        at,
        at,
    )


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _feedback(r: Row) -> AnswerFeedback:
    return AnswerFeedback(
        id=r["id"],
        question_id=r["question_id"],
        person_id=r["person_id"],
        supporter=bool(r["supporter"]),
        text=r["text"],
        created_at=from_utc_text(r["created_at"]),
    )


def _question(row: Row) -> Question:
    return Question(
        id=row["id"],
        code=row["code"],
        campaign_id=row["campaign_id"],
        person_id=row["person_id"],
        unit_id=row["unit_id"],
        topic_id=row["topic_id"],
        category=row["category"],
        text=row["text"],
        asker_name=row["asker_name"],
        anonymous=bool(row["anonymous"]),
        channel=row["channel"],
        status=row["status"],
        late=bool(row["late"]),
        created_at=from_utc_text(row["created_at"]),
        updated_at=from_utc_text(row["updated_at"]),
        cluster_id=row["cluster_id"],
        answer=row["answer"],
        answered_at=from_utc_text(row["answered_at"]) if row["answered_at"] else None,
        answered_by=row["answered_by"],
        answer_published_at=(
            from_utc_text(row["answer_published_at"]) if row["answer_published_at"] else None
        ),
    )


@dataclass(frozen=True, slots=True)
class QuestionText:
    """The minimum the similarity index and the grouping need."""

    id: int
    code: str
    text: str
    topic_id: int = 0
    unit_id: int = 0
    anonymous: bool = False


class QuestionRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, q: NewQuestion, *, now: datetime) -> Question:
        """Store a new question under a fresh code (one trip)."""
        at = to_utc_text(now)

        def steps() -> Script[Row]:
            for _ in range(10):
                code = new_code()
                if (yield one("SELECT 1 FROM questions WHERE code = ?", (code,))) is None:
                    break
            row: Row | None = yield one(_INSERT + " RETURNING *", _insert_row(q, code, at))
            assert row is not None
            return row

        return _question(await self._db.script(steps))

    async def get(self, question_id: int) -> Question | None:
        row = await self._db.fetchone("SELECT * FROM questions WHERE id = ?", (question_id,))
        return _question(row) if row else None

    async def by_code(self, code: str) -> Question | None:
        row = await self._db.fetchone("SELECT * FROM questions WHERE code = ?", (clean_code(code),))
        return _question(row) if row else None

    async def of_person(self, person_id: int, *, limit: int = 20) -> list[Question]:
        rows = await self._db.fetchall(
            "SELECT * FROM questions WHERE person_id = ? ORDER BY created_at DESC, id DESC LIMIT ?",
            (person_id, limit),
        )
        return [_question(r) for r in rows]

    async def count_since(self, person_id: int, since: datetime) -> int:
        return int(
            await self._db.fetchval(
                "SELECT count(*) FROM questions WHERE person_id = ? AND created_at >= ?",
                (person_id, to_utc_text(since)),
            )
        )

    async def last_of_person(self, person_id: int) -> Question | None:
        row = await self._db.fetchone(
            "SELECT * FROM questions WHERE person_id = ? ORDER BY id DESC LIMIT 1", (person_id,)
        )
        return _question(row) if row else None

    async def update_text(self, question_id: int, text: str, *, now: datetime) -> None:
        await self._db.execute(
            "UPDATE questions SET text = ?, updated_at = ? WHERE id = ?",
            (text, to_utc_text(now), question_id),
        )

    async def update_topic(self, question_id: int, topic_id: int, *, now: datetime) -> None:
        await self._db.execute(
            "UPDATE questions SET topic_id = ?, updated_at = ? WHERE id = ?",
            (topic_id, to_utc_text(now), question_id),
        )

    async def set_status(self, question_id: int, status: str, *, now: datetime) -> None:
        await self._db.execute(
            "UPDATE questions SET status = ?, updated_at = ? WHERE id = ?",
            (status, to_utc_text(now), question_id),
        )

    async def save_answer(
        self, question_id: int, answer: str, *, now: datetime, by: str | None = None
    ) -> bool:
        """Record (or replace) a question's answer as a draft. ``answered_at`` keeps the
        first time an answer was given (whether it came in time). False when the answer
        was already published: a published answer is final."""
        at = to_utc_text(now)
        count = await self._db.execute_rowcount(
            "UPDATE questions SET answer = ?, answered_at = coalesce(answered_at, ?),"
            " answered_by = ?, updated_at = ? WHERE id = ? AND answer_published_at IS NULL",
            (answer, at, by, at, question_id),
        )
        return count > 0

    async def publish_answers(
        self, question_ids: Sequence[int], *, now: datetime
    ) -> list[Question]:
        """Mark the drafted answers of many questions published, in a few statements; the
        questions published now are returned (one without a draft, or published before,
        is not: publishing happens once; nor one its asker withdrew)."""
        at = to_utc_text(now)
        done: list[Question] = []
        for start in range(0, len(question_ids), 500):
            chunk = list(question_ids[start : start + 500])
            marks = ",".join("?" * len(chunk))

            async with self._db.transaction():
                rows = await self._db.fetchall(
                    "UPDATE questions SET answer_published_at = ?, status = 'answered',"
                    f" updated_at = ? WHERE id IN ({marks}) AND answer IS NOT NULL"
                    " AND answer_published_at IS NULL AND status != 'withdrawn' RETURNING *",
                    [at, at, *chunk],
                )
                done += [_question(r) for r in rows]
        order = {qid: n for n, qid in enumerate(question_ids)}
        return sorted(done, key=lambda q: order[q.id])

    async def unpublished_answers(
        self, campaign_id: int, *, department: str | None = None
    ) -> list[Question]:
        """Questions with a drafted answer not yet published (one department's, or all)."""
        sql = (
            "SELECT q.* FROM questions q JOIN topics t ON t.id = q.topic_id"
            " WHERE q.campaign_id = ? AND q.answer IS NOT NULL"
            " AND q.answer_published_at IS NULL AND q.status != 'withdrawn'"
        )
        params: list[object] = [campaign_id]
        if department is not None:
            sql += " AND coalesce(q.department, t.department) = ?"
            params.append(department)
        rows = await self._db.fetchall(sql + " ORDER BY q.id", params)
        return [_question(r) for r in rows]

    async def unpublished_count(
        self, campaign_id: int, *, departments: Sequence[str] | None = None
    ) -> int:
        """How many drafted answers wait to be sent (to some departments' questions, or
        all)."""
        return await self._count_routed(
            "q.answer IS NOT NULL AND q.answer_published_at IS NULL", campaign_id, departments
        )

    async def _count_routed(
        self, condition: str, campaign_id: int, departments: Sequence[str] | None
    ) -> int:
        """How many of a campaign's questions (not withdrawn) meet ``condition``, of those
        routed to ``departments`` (None: all)."""
        sql = (
            "SELECT count(*) FROM questions q JOIN topics t ON t.id = q.topic_id"
            f" WHERE q.campaign_id = ? AND q.status != 'withdrawn' AND {condition}"
        )
        params: list[object] = [campaign_id]
        if departments is not None:
            if not departments:
                return 0
            clause, values = _routed_to(departments)
            sql += clause
            params += values
        return int(await self._db.fetchval(sql, params) or 0)

    async def in_cluster(self, question: Question) -> list[Question]:
        """The question and every other one grouped with it. Grouping is a reading aid:
        an answer goes to these only when an official chooses so."""
        if question.cluster_id is None:
            return [question]
        rows = await self._db.fetchall(
            "SELECT * FROM questions WHERE cluster_id = ? AND status != 'withdrawn' ORDER BY id",
            (question.cluster_id,),
        )
        return [_question(r) for r in rows]

    async def route_topic(self, topic_id: int, department: str | None, *, now: datetime) -> int:
        """Send a topic group's questions to a department; returns how many now go to it
        (those routed before, to it or another, included; those routed one by one, and
        withdrawn ones, not)."""
        async with self._db.transaction():
            await self._db.execute(
                "UPDATE topics SET department = ? WHERE id = ?", (department, topic_id)
            )
            await self._db.execute(
                "UPDATE questions SET status = 'forwarded', updated_at = ?"
                " WHERE topic_id = ? AND status = 'submitted' AND department IS NULL",
                (to_utc_text(now), topic_id),
            )
            return int(
                await self._db.fetchval(
                    "SELECT count(*) FROM questions WHERE topic_id = ?"
                    " AND department IS NULL AND status != 'withdrawn'",
                    (topic_id,),
                )
            )

    async def route_question(self, question_id: int, department: str, *, now: datetime) -> None:
        await self._db.execute(
            "UPDATE questions SET department = ?, status = CASE WHEN status = 'submitted'"
            " THEN 'forwarded' ELSE status END, updated_at = ? WHERE id = ?",
            (department, to_utc_text(now), question_id),
        )

    async def department_of(self, question_id: int) -> str | None:
        value = await self._db.fetchval(
            "SELECT coalesce(q.department, t.department) FROM questions q"
            " JOIN topics t ON t.id = q.topic_id WHERE q.id = ?",
            (question_id,),
        )
        return str(value) if value else None

    async def departments_of(self, question_ids: Sequence[int]) -> dict[int, str]:
        """:meth:`department_of` for many questions at once (those routed only)."""
        rows = await self._db.fetchall_in(
            "SELECT q.id, coalesce(q.department, t.department) AS department FROM questions q"
            " JOIN topics t ON t.id = q.topic_id WHERE q.id IN ({marks})",
            question_ids,
        )
        return {r["id"]: str(r["department"]) for r in rows if r["department"]}

    async def count(self, campaign_id: int) -> int:
        return int(
            await self._db.fetchval(
                "SELECT count(*) FROM questions WHERE campaign_id = ? AND status != 'withdrawn'",
                (campaign_id,),
            )
        )

    async def texts(self, campaign_id: int, *, after: int = 0) -> list[QuestionText]:
        """The campaign's questions (those with an id above ``after``), in order."""
        rows = await self._db.fetchall(
            "SELECT id, code, text, topic_id, unit_id, anonymous FROM questions"
            " WHERE campaign_id = ? AND status != 'withdrawn' AND id > ? ORDER BY id",
            (campaign_id, after),
        )
        return [
            QuestionText(
                r["id"], r["code"], r["text"], r["topic_id"], r["unit_id"], bool(r["anonymous"])
            )
            for r in rows
        ]

    async def of_campaign(self, campaign_id: int) -> list[Question]:
        rows = await self._db.fetchall(
            "SELECT * FROM questions WHERE campaign_id = ? ORDER BY id", (campaign_id,)
        )
        return [_question(r) for r in rows]

    async def insert_bulk(self, rows: Iterable[NewQuestion], *, now: datetime) -> None:
        """Fast load for benchmarks and imports (codes generated here)."""
        at = to_utc_text(now)
        await self._db.executemany(
            _INSERT + " ON CONFLICT DO NOTHING",
            (_insert_row(q, new_code(), at) for q in rows),
        )

    async def forget_names(self, *, campaign_ids: list[int], before: datetime) -> int:
        """Drop askers' names from the given campaigns' questions and from any question
        older than ``before`` (the text stays, so the campaign's record stays true)."""
        marks = ",".join("?" * len(campaign_ids)) or "NULL"
        return await self._db.execute_rowcount(
            "UPDATE questions SET asker_name = NULL, person_id = NULL WHERE"
            f" (campaign_id IN ({marks}) OR created_at < ?)"
            " AND (asker_name IS NOT NULL OR person_id IS NOT NULL)",
            [*campaign_ids, to_utc_text(before)],
        )

    async def unit_counts(self, campaign_id: int, unit_id: int) -> tuple[int, int]:
        """(questions, still unreviewed) a unit has in a campaign."""
        row = await self._db.fetchone(
            "SELECT count(*) AS total,"
            " coalesce(sum(CASE WHEN status = 'submitted' THEN 1 ELSE 0 END), 0) AS unreviewed"
            " FROM questions WHERE campaign_id = ? AND unit_id = ? AND status != 'withdrawn'",
            (campaign_id, unit_id),
        )
        return (int(row["total"]), int(row["unreviewed"])) if row else (0, 0)

    async def department_owed(self, campaign_id: int, department: str) -> int:
        """Questions routed to a department that still have no answer (not even a draft)."""
        value = await self._db.fetchval(
            "SELECT count(*) FROM questions q JOIN topics t ON t.id = q.topic_id"
            " WHERE q.campaign_id = ? AND coalesce(q.department, t.department) = ?"
            " AND q.answer IS NULL AND q.status != 'withdrawn'" + NOT_ANSWERED_LIVE,
            (campaign_id, department),
        )
        return int(value or 0)

    async def answered_live_count(
        self, campaign_id: int, *, departments: Sequence[str] | None = None
    ) -> int:
        """Questions without a written answer that the chair answered at the dialogue (left
        out of the waiting list and the reminders), routed to ``departments`` or all."""
        return await self._count_routed(
            "q.answer IS NULL AND " + ANSWERED_LIVE, campaign_id, departments
        )

    async def owed_by_department(self, campaign_id: int) -> list[tuple[str | None, int]]:
        """Questions still without an answer, by the department they are routed to (None:
        routed to none yet), the most owed first; as :meth:`department_owed` counts them."""
        rows = await self._db.fetchall(
            "SELECT coalesce(q.department, t.department) AS department, count(*) AS owed"
            " FROM questions q JOIN topics t ON t.id = q.topic_id"
            " WHERE q.campaign_id = ? AND q.answer IS NULL AND q.status != 'withdrawn'"
            + NOT_ANSWERED_LIVE
            + " GROUP BY coalesce(q.department, t.department)",
            (campaign_id,),
        )
        found = [(r["department"], int(r["owed"])) for r in rows]
        return sorted(found, key=lambda pair: (pair[0] is None, -pair[1], pair[0] or ""))

    async def awaiting_answer(
        self,
        campaign_id: int,
        *,
        departments: Sequence[str] | None = None,
        topics: Sequence[int] | None = None,
        limit: int = 6,
        offset: int = 0,
    ) -> tuple[int, list[tuple[Question, int, int]]]:
        """Questions with no answer yet (not even a draft), in one campaign and, when
        ``departments`` is given, routed to one of them (and of the ``topics`` groups,
        when given): how many there are, and one page
        of them as (question, people who asked or support it, questions of its group that
        wait too). The biggest groups come first, a group's questions together, so an
        official who answers one can choose to send it to the rest of the group; then the
        questions most people support."""
        # Both read the partial index ``questions_waiting`` (migration 0017); only the
        # page's rows are read whole.
        where = (
            " WHERE q.campaign_id = ? AND q.answer IS NULL AND q.status != 'withdrawn'"
            + NOT_ANSWERED_LIVE
        )
        params: list[object] = [campaign_id]
        if departments is not None:
            if not departments:
                return 0, []
            clause, values = _routed_to(departments)
            where += clause
            params += values
        if topics is not None:
            if not topics:
                return 0, []
            where += f" AND q.topic_id IN ({','.join('?' * len(topics))})"
            params += list(topics)
        base = " FROM questions q JOIN topics t ON t.id = q.topic_id"
        total = int(await self._db.fetchval("SELECT count(*)" + base + where, params) or 0)
        if total <= offset:
            return total, []
        # In two steps, so that a page reads what it shows rather than ordering every
        # waiting question: (1) the groups of more than one waiting question, largest
        # first, and the members of those the page covers; (2) the other questions, the
        # most supported first, then the oldest.
        grouping = (
            "SELECT q.cluster_id" + base + where + " AND q.cluster_id IS NOT NULL"
            " GROUP BY q.cluster_id HAVING count(*) > 1"
        )
        groups = await self._db.fetchall(
            "SELECT q.cluster_id AS cluster, count(*) AS size"
            + base
            + where
            + " AND q.cluster_id IS NOT NULL GROUP BY q.cluster_id HAVING count(*) > 1"
            " ORDER BY size DESC, q.cluster_id",
            params,
        )
        page: list[tuple[int, int, int]] = []  # (id, people, group size)
        position, covered_from = 0, 0
        covered: list[tuple[int, int]] = []  # (cluster, waiting questions in it)
        for group in groups:
            size = int(group["size"])
            if position + size > offset and position < offset + limit:
                covered_from = covered_from if covered else position
                covered.append((int(group["cluster"]), size))
            position += size
        if covered:
            marks = ",".join("?" * len(covered))
            members = await self._db.fetchall(
                "SELECT q.id, q.cluster_id, 1 + (SELECT count(*) FROM supports s"
                " WHERE s.question_id = q.id) AS people"
                + base
                + where
                + f" AND q.cluster_id IN ({marks})",
                [*params, *(c for c, _ in covered)],
            )
            rank = {cluster: n for n, (cluster, _) in enumerate(covered)}
            sizes = dict(covered)
            members.sort(key=lambda r: (rank[r["cluster_id"]], -int(r["people"]), r["id"]))
            skip = max(offset - covered_from, 0)
            page += [
                (int(r["id"]), int(r["people"]), sizes[r["cluster_id"]])
                for r in members[skip : skip + limit]
            ]
        if len(page) < limit:
            alone = where + f" AND (q.cluster_id IS NULL OR q.cluster_id NOT IN ({grouping}))"
            first = max(offset - position, 0)
            supported = await self._db.fetchall(
                "SELECT q.id, 1 + count(*) AS people FROM supports s"
                " JOIN questions q ON q.id = s.question_id JOIN topics t ON t.id = q.topic_id"
                + alone
                + " GROUP BY q.id ORDER BY people DESC, q.id",
                [*params, *params],
            )
            page += [
                (int(r["id"]), int(r["people"]), 1)
                for r in supported[first : first + limit - len(page)]
            ]
            if len(page) < limit:
                rest = await self._db.fetchall(
                    "SELECT q.id"
                    + base
                    + alone
                    + " AND NOT EXISTS (SELECT 1 FROM supports s WHERE s.question_id = q.id)"
                    " ORDER BY q.id LIMIT ? OFFSET ?",
                    [*params, *params, limit - len(page), max(first - len(supported), 0)],
                )
                page += [(int(r["id"]), 1, 1) for r in rest]
        if not page:
            return total, []
        marks = ",".join("?" * len(page))
        rows = await self._db.fetchall(
            f"SELECT * FROM questions WHERE id IN ({marks})", [qid for qid, _, _ in page]
        )
        found = {r["id"]: _question(r) for r in rows}
        return total, [(found[i], people, size) for i, people, size in page if i in found]

    # -- supporters ("Tôi cũng muốn hỏi câu này") -------------------------------------

    async def add_support(
        self, question_id: int, person_id: int, unit_id: int | None, *, now: datetime
    ) -> bool:
        """Record a supporter; False when they already supported it."""
        count = await self._db.execute_rowcount(
            "INSERT INTO supports (question_id, person_id, unit_id, created_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (question_id, person_id, unit_id, to_utc_text(now)),
        )
        return count > 0

    async def with_people(self, question_ids: Sequence[int]) -> list[tuple[Question, int]]:
        """The questions (in the order of ``question_ids``) with how many people asked or
        support each, in one query."""
        if not question_ids:
            return []
        marks = ",".join("?" * len(question_ids))
        rows = await self._db.fetchall(
            "SELECT q.*, 1 + (SELECT count(*) FROM supports s WHERE s.question_id = q.id)"
            f" AS people FROM questions q WHERE q.id IN ({marks})",
            list(question_ids),
        )
        found = {r["id"]: (_question(r), int(r["people"])) for r in rows}
        return [found[i] for i in question_ids if i in found]

    async def supporters(self, question_id: int) -> list[int]:
        rows = await self._db.fetchall(
            "SELECT person_id FROM supports WHERE question_id = ?", (question_id,)
        )
        return [r["person_id"] for r in rows]

    async def supporters_of(self, question_ids: Sequence[int]) -> dict[int, list[int]]:
        """The supporters of many questions (one query per 500), oldest support first."""
        found: dict[int, list[int]] = {}
        rows = await self._db.fetchall_in(
            "SELECT question_id, person_id FROM supports"
            " WHERE question_id IN ({marks}) ORDER BY created_at, person_id",
            question_ids,
        )
        for r in rows:
            found.setdefault(r["question_id"], []).append(r["person_id"])
        return found

    async def joined_ids(self, person_id: int) -> set[int]:
        """Ids of the questions the person asked or supports, in one indexed read (the
        similar-question prompt never offers them)."""
        rows = await self._db.fetchall(
            "SELECT id FROM questions WHERE person_id = ?"
            " UNION SELECT question_id FROM supports WHERE person_id = ?",
            (person_id, person_id),
        )
        return {int(r["id"]) for r in rows}

    async def supported_by(self, person_id: int) -> list[Question]:
        rows = await self._db.fetchall(
            "SELECT q.* FROM questions q JOIN supports s ON s.question_id = q.id"
            " WHERE s.person_id = ? ORDER BY s.created_at DESC",
            (person_id,),
        )
        return [_question(r) for r in rows]

    async def answered_for(self, person_id: int, *, since: datetime) -> list[Question]:
        """Questions the person asked or supports whose answer they were told since
        ``since``, the latest first."""
        # Two indexed reads (the asker's questions, the supports), not one OR that would
        # read every answered question.
        at = to_utc_text(since)
        rows = await self._db.fetchall(
            "SELECT * FROM questions WHERE person_id = ? AND answer_published_at >= ?",
            (person_id, at),
        )
        rows += await self._db.fetchall(
            "SELECT q.* FROM supports s JOIN questions q ON q.id = s.question_id"
            " WHERE s.person_id = ? AND q.answer_published_at >= ?",
            (person_id, at),
        )
        found = {r["id"]: _question(r) for r in rows}
        ordered = sorted(
            found.values(), key=lambda q: (q.answer_published_at or since, q.id), reverse=True
        )
        return ordered[:20]

    async def add_feedback(
        self, question_id: int, person_id: int, text: str, *, supporter: bool, now: datetime
    ) -> None:
        await self._db.execute(
            "INSERT INTO answer_feedback (question_id, person_id, supporter, text, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (question_id, person_id, int(supporter), text, to_utc_text(now)),
        )

    async def recent_feedback(self, *, limit: int = 200) -> list[tuple[AnswerFeedback, Question]]:
        """What young people said back about answers lately, the newest first, each with
        its question."""
        rows = await self._db.fetchall(
            "SELECT * FROM answer_feedback ORDER BY id DESC LIMIT ?", (limit,)
        )
        said = [_feedback(r) for r in rows]
        asked = await self.with_people(sorted({f.question_id for f in said}))
        questions = {q.id: q for q, _ in asked}
        return [(f, questions[f.question_id]) for f in said if f.question_id in questions]

    async def feedback_of(self, question_ids: Sequence[int]) -> dict[int, list[AnswerFeedback]]:
        """What askers and supporters said back about these questions' answers, oldest
        first (one query per 500 questions)."""
        found: dict[int, list[AnswerFeedback]] = {}
        rows = await self._db.fetchall_in(
            "SELECT * FROM answer_feedback WHERE question_id IN ({marks}) ORDER BY id",
            question_ids,
        )
        for r in rows:
            found.setdefault(r["question_id"], []).append(_feedback(r))
        return found
