"""The digest as a chat message: plain text a secretary or an official reads on a phone.

The message is plain text (the Telegram adapter HTML-escapes it, Zalo shows it as is) and
may be longer than one chat message: adapters split it with
:func:`bot.delivery.textsplit.split_text`, so sections are separated by blank lines,
which the splitter prefers as cut points.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.documents.model import (
    ClusterRow,
    DeadlineRow,
    DigestData,
    format_date_vn,
    format_datetime_vn,
    format_number,
)
from locales import Translator

#: Bullet for list items: "•" renders everywhere (Telegram, Zalo, terminals).
BULLET = "•"


def render_digest_text(
    data: DigestData,
    *,
    tr: Translator,
    clusters_per_topic: int = 3,
    max_topics: int | None = None,
    candidates: int = 15,
    max_silent_units: int = 12,
    quote_chars: int = 180,
) -> str:
    """The whole digest as one plain-text message (split it for sending).

    ``clusters_per_topic`` clusters are quoted under each topic group, ``max_topics``
    groups at most (None = all), ``candidates`` proposals for the live dialogue and
    ``max_silent_units`` names of units that sent nothing, the rest summarised as
    "và N đơn vị khác". Questions are quoted up to ``quote_chars`` characters.
    """
    sections = [
        _header(data, tr=tr),
        _totals(data, tr=tr),
        _deadlines(data.deadlines, tr=tr),
        _topics(
            data,
            tr=tr,
            clusters_per_topic=clusters_per_topic,
            max_topics=max_topics,
            quote_chars=quote_chars,
        ),
        _candidates(data, tr=tr, limit=candidates, quote_chars=quote_chars),
        _silent_units(data, tr=tr, limit=max_silent_units),
    ]
    return "\n\n".join(s for s in sections if s)


def render_nothing_new(data: DigestData, *, tr: Translator) -> str:
    """One line for a scheduled digest when nothing arrived since the previous one."""
    since = data.previous_digest_at or data.period_start
    total = _count(tr, "digest.count.questions", data.totals.questions)
    if since is None:
        return tr.t("digest.nothing_new", title=data.campaign_title, total=total)
    return tr.t(
        "digest.nothing_new.since",
        title=data.campaign_title,
        since=format_datetime_vn(since),
        total=total,
    )


# --- sections -------------------------------------------------------------------------------


def _header(data: DigestData, *, tr: Translator) -> str:
    lines = [tr.t("digest.text.title"), data.campaign_title]
    if data.scope == "campaign":
        lines.append(tr.t("digest.scope.campaign", name=data.scope_name or data.host_name))
    elif data.scope == "unit":
        lines.append(tr.t("digest.scope.unit", name=data.scope_name))
    else:
        lines.append(tr.t("digest.scope.department", name=data.scope_name))
    end = format_datetime_vn(data.period_end)
    if data.period_start is None:
        lines.append(tr.t("digest.period.until", end=end))
    else:
        lines.append(tr.t("digest.period", start=format_datetime_vn(data.period_start), end=end))
    return "\n".join(lines)


def _totals(data: DigestData, *, tr: Translator) -> str:
    lang = tr.language
    t = data.totals
    lines = [
        tr.t(
            "digest.totals",
            questions=_count(tr, "digest.count.questions", t.questions),
            people=_count(tr, "digest.count.people", t.people),
            supporters=_count(tr, "digest.count.supporters", t.supporters),
        )
    ]
    if data.scope != "unit" and t.units_total:
        lines.append(
            tr.n(
                "digest.totals.units",
                t.units_total,
                sent=format_number(t.units, lang),
                count=format_number(t.units_total, lang),
            )
        )
    if data.previous_digest_at is not None:
        if t.new_questions:
            lines.append(
                tr.t(
                    "digest.new_since",
                    since=format_datetime_vn(data.previous_digest_at),
                    questions=_count(tr, "digest.count.questions", t.new_questions),
                    people=_count(tr, "digest.count.people", t.new_people),
                )
            )
        else:
            lines.append(tr.t("digest.new_none", since=format_datetime_vn(data.previous_digest_at)))
    return "\n".join(lines)


def _deadlines(deadlines: Sequence[DeadlineRow], *, tr: Translator) -> str:
    if not deadlines:
        return ""
    lines = [tr.t("digest.section.deadlines")]
    for d in sorted(deadlines, key=lambda d: d.due):
        lines.append(
            f"{BULLET} "
            + tr.t(
                "digest.deadline.line",
                label=d.label,
                due=format_date_vn(d.due),
                left=days_left_text(d.days_left, tr=tr),
            )
        )
    return "\n".join(lines)


def days_left_text(days_left: int, *, tr: Translator) -> str:
    """ "còn 3 ngày", "hôm nay", "đã quá 2 ngày" (and their English forms)."""
    if days_left == 0:
        return tr.t("digest.deadline.today")
    if days_left > 0:
        return tr.n("digest.deadline.left", days_left)
    return tr.n("digest.deadline.passed", -days_left)


def _topics(
    data: DigestData,
    *,
    tr: Translator,
    clusters_per_topic: int,
    max_topics: int | None,
    quote_chars: int,
) -> str:
    sections = [s for s in data.topics if s.question_count or s.clusters]
    if not sections:
        return tr.t("digest.no_questions")
    shown = sections if max_topics is None else sections[:max_topics]
    blocks = [tr.n("digest.section.topics", len(sections))]
    for number, section in enumerate(shown, start=1):
        lines = [
            tr.t(
                "digest.topic.line",
                number=number,
                topic=section.topic,
                questions=_count(tr, "digest.count.questions", section.question_count),
                people=_count(tr, "digest.count.people", section.people),
            )
        ]
        for cluster in section.clusters[:clusters_per_topic]:
            lines.append(f"  {BULLET} " + _quote(cluster.representative_text, quote_chars, tr))
            lines.append("    " + _cluster_details(cluster, tr=tr))
        hidden = len(section.clusters) - clusters_per_topic
        if hidden > 0:
            lines.append(
                "  "
                + tr.n(
                    "digest.topic.more_clusters", hidden, count=format_number(hidden, tr.language)
                )
            )
        blocks.append("\n".join(lines))
    if len(shown) < len(sections):
        rest = len(sections) - len(shown)
        blocks.append(
            tr.n("digest.topic.more_topics", rest, count=format_number(rest, tr.language))
        )
    return "\n\n".join(blocks)


def _candidates(data: DigestData, *, tr: Translator, limit: int, quote_chars: int) -> str:
    chosen = data.top_candidates[:limit]
    if not chosen:
        return ""
    lines = [tr.n("digest.section.candidates", len(chosen))]
    for rank, cluster in enumerate(chosen, start=1):
        lines.append(f"{rank}. " + _quote(cluster.representative_text, quote_chars, tr))
        lines.append(
            "   "
            + tr.t(
                "digest.candidate.details",
                people=_count(tr, "digest.count.people", cluster.people),
                topic=cluster.topic,
                code=cluster.representative_code,
            )
        )
    return "\n".join(lines)


def _silent_units(data: DigestData, *, tr: Translator, limit: int) -> str:
    units = data.silent_units
    if not units:
        return ""
    heading = tr.n(
        "digest.section.silent_units", len(units), count=format_number(len(units), tr.language)
    )
    return heading + "\n" + join_limited([u.name for u in units], limit=limit, tr=tr) + "."


# --- small helpers --------------------------------------------------------------------------


def _count(tr: Translator, key: str, value: int) -> str:
    """A counted noun with digit grouping: "1.234 câu hỏi", "1 question"."""
    return tr.n(key, value, count=format_number(value, tr.language))


def _cluster_details(cluster: ClusterRow, *, tr: Translator) -> str:
    return tr.t(
        "digest.cluster.details",
        people=_count(tr, "digest.count.people", cluster.people),
        questions=_count(tr, "digest.count.questions", cluster.question_count),
        units=join_limited(cluster.unit_names, limit=3, tr=tr),
    )


def join_limited(names: Sequence[str], *, limit: int, tr: Translator) -> str:
    """ "A, B, C và 4 đơn vị khác": at most ``limit`` names, the rest counted."""
    if len(names) <= limit:
        return ", ".join(names)
    rest = len(names) - limit
    return tr.n(
        "digest.list.more_units",
        rest,
        names=", ".join(names[:limit]),
        count=format_number(rest, tr.language),
    )


def shorten(text: str, limit: int) -> str:
    """One line of at most ``limit`` characters, cut at a word boundary with "…"."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + "…"


def _quote(text: str, limit: int, tr: Translator) -> str:
    return tr.t("digest.quote", text=shorten(text, limit))


def render_mail(data: DigestData, *, tr: Translator) -> tuple[str, str]:
    """Subject and plain-text body of the e-mail that carries the digest files."""
    subject = tr.t(
        "digest.mail.subject",
        title=data.campaign_title,
        date=format_datetime_vn(data.generated_at),
    )
    body = tr.t(
        "digest.mail.body",
        at=format_datetime_vn(data.period_end),
        digest=render_digest_text(data, tr=tr),
    )
    return subject, body
