"""Digests of a campaign's questions: chat text, XLSX, DOCX, chart and raw exports.

:mod:`bot.digests.model` is the pure data model the renderers read; the code that fills it
from the database lives elsewhere. Every renderer is a pure function of a
:class:`~bot.digests.model.DigestData` and a :class:`locales.Translator`.
"""

from __future__ import annotations

from bot.digests.chart import ChartData, write_chart
from bot.digests.docx import write_docx
from bot.digests.exports import write_questions_csv, write_questions_jsonl
from bot.digests.model import (
    ClusterRow,
    DeadlineRow,
    DigestData,
    QuestionRow,
    TopicSection,
    Totals,
    UnitRow,
    build_topic_sections,
    rank_clusters,
    select_candidates,
)
from bot.digests.text import render_digest_text, render_mail, render_nothing_new
from bot.digests.xlsx import write_xlsx

__all__ = [
    "ChartData",
    "ClusterRow",
    "DeadlineRow",
    "DigestData",
    "QuestionRow",
    "TopicSection",
    "Totals",
    "UnitRow",
    "build_topic_sections",
    "rank_clusters",
    "render_digest_text",
    "render_mail",
    "render_nothing_new",
    "select_candidates",
    "write_chart",
    "write_docx",
    "write_questions_csv",
    "write_questions_jsonl",
    "write_xlsx",
]
