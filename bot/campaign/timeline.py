"""A campaign's timeline, computed from the dialogue date by the rules of the law and the
plans (see docs/timeline.md). Every date can be overridden; dates derived from an
overridden one follow it unless they are overridden too."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, timedelta

from locales import LocalizedError, Message
from storage.models import Deadline, DeadlineKind

PLAN_LEAD_DAYS = 30  # kế hoạch công khai ít nhất 30 ngày trước đối thoại
QUESTIONS_CLOSE_DAYS = 7  # nhận câu hỏi đến 7 ngày trước đối thoại (Phú Sơn 2023)
FORWARD_AFTER_SUBMIT_DAYS = 3  # Sở Nội vụ chuyển 3 ngày sau hạn đơn vị gửi (Cao Bằng 2025)
ANSWERS_BEFORE_DIALOGUE_DAYS = 2  # sở, ngành trả lời 2 ngày trước (Hồng Bàng 2022)
CONCLUSION_DAYS = 10  # thông báo kết luận trong 10 ngày
CONCLUSION_DAYS_COMPLEX = 15  # hoặc 15 ngày khi nội dung phức tạp, nhiều ngành
REPORT_DAYS = 20  # báo cáo kết quả 20 ngày sau đối thoại (Lạng Sơn)


# 28/08/2027, 28-08-2027, 28.08.2027 (as typed in Vietnam), 2027-08-28; "ngày" before any,
# and the administrative "ngày 28 tháng 8 năm 2027" (with or without accents).
_DAY_FIRST = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_YEAR_FIRST = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_IN_WORDS = re.compile(r"(\d{1,2}),?\s+(?:tháng|thang)\s+(\d{1,2}),?\s+(?:năm|nam)\s+(\d{4})")
_DAY_WORD = re.compile(r"^(?:ngày|ngay)\s*", re.IGNORECASE)


def written_date(text: str) -> date | None:
    """The date an official typed ("28/08/2027", "28.8.2027", "2027-08-28", "ngày 28
    tháng 8 năm 2027"), or None. A two-digit year is not read: "30/9/25" could be misread."""
    cleaned = _DAY_WORD.sub("", " ".join(text.split()).strip().rstrip(".,;")).lower()
    try:
        if found := _DAY_FIRST.fullmatch(cleaned) or _IN_WORDS.fullmatch(cleaned):
            return date(int(found.group(3)), int(found.group(2)), int(found.group(1)))
        if found := _YEAR_FIRST.fullmatch(cleaned):
            return date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
    except ValueError:  # 31/02/2027
        return None
    return None


class TimelineError(LocalizedError, ValueError):
    """The dates given are inconsistent (e.g. questions close after the dialogue); the
    text is in ``locales/*/cli.po``."""


def label(kind: DeadlineKind) -> Message:
    """The deadline's name in the reader's language ("Hạn nhận câu hỏi của thanh niên"),
    never its internal id."""
    return Message(f"deadline.{kind.value}")


def compute_timeline(
    dialogue: date,
    *,
    complex_content: bool = False,
    overrides: Mapping[DeadlineKind, date] | None = None,
) -> list[Deadline]:
    """Every deadline of a campaign whose dialogue is on ``dialogue``."""
    given = dict(overrides or {})
    if DeadlineKind.DIALOGUE in given and given[DeadlineKind.DIALOGUE] != dialogue:
        raise TimelineError("cli.timeline.dialogue_override")

    def pick(kind: DeadlineKind, default: date) -> date:
        return given.get(kind, default)

    close_default = dialogue - timedelta(days=QUESTIONS_CLOSE_DAYS)
    if DeadlineKind.UNITS_SUBMIT in given:
        # Units cannot send up questions they have not closed yet (Cao Bằng 2025).
        close_default = min(close_default, given[DeadlineKind.UNITS_SUBMIT])
    close = pick(DeadlineKind.QUESTIONS_CLOSE, close_default)
    submit = pick(DeadlineKind.UNITS_SUBMIT, close)
    dates = {
        DeadlineKind.PLAN_PUBLISHED: pick(
            DeadlineKind.PLAN_PUBLISHED, dialogue - timedelta(days=PLAN_LEAD_DAYS)
        ),
        DeadlineKind.QUESTIONS_CLOSE: close,
        DeadlineKind.UNITS_SUBMIT: submit,
        DeadlineKind.FORWARD: pick(
            DeadlineKind.FORWARD, submit + timedelta(days=FORWARD_AFTER_SUBMIT_DAYS)
        ),
        DeadlineKind.ANSWERS_DUE: pick(
            DeadlineKind.ANSWERS_DUE, dialogue - timedelta(days=ANSWERS_BEFORE_DIALOGUE_DAYS)
        ),
        DeadlineKind.DIALOGUE: dialogue,
        DeadlineKind.CONCLUSION: pick(
            DeadlineKind.CONCLUSION,
            dialogue
            + timedelta(days=CONCLUSION_DAYS_COMPLEX if complex_content else CONCLUSION_DAYS),
        ),
        DeadlineKind.REPORT: pick(DeadlineKind.REPORT, dialogue + timedelta(days=REPORT_DAYS)),
    }
    _check(dates)
    return [Deadline(kind, dates[kind], kind in given) for kind in DeadlineKind]


def _check(dates: Mapping[DeadlineKind, date]) -> None:
    dialogue = dates[DeadlineKind.DIALOGUE]
    before = (
        DeadlineKind.PLAN_PUBLISHED,
        DeadlineKind.QUESTIONS_CLOSE,
        DeadlineKind.UNITS_SUBMIT,
        DeadlineKind.FORWARD,
        DeadlineKind.ANSWERS_DUE,
    )
    for kind in before:
        if dates[kind] > dialogue:
            raise TimelineError(
                "cli.timeline.after_dialogue", kind=label(kind), date=dates[kind], dialogue=dialogue
            )
    for kind in (DeadlineKind.CONCLUSION, DeadlineKind.REPORT):
        if dates[kind] < dialogue:
            raise TimelineError(
                "cli.timeline.before_dialogue",
                kind=label(kind),
                date=dates[kind],
                dialogue=dialogue,
            )
    in_order = (
        (DeadlineKind.QUESTIONS_CLOSE, DeadlineKind.UNITS_SUBMIT),
        (DeadlineKind.UNITS_SUBMIT, DeadlineKind.FORWARD),
        (DeadlineKind.FORWARD, DeadlineKind.ANSWERS_DUE),
    )
    for first, second in in_order:
        if dates[first] > dates[second]:
            raise TimelineError("cli.timeline.order", first=label(first), second=label(second))
