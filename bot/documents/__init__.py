"""Documents: digests of a campaign's questions (chat text, XLSX, DOCX, chart, raw exports)
and posters.

:mod:`bot.documents.model` is the pure data model the renderers read; the code that fills it
from the database lives elsewhere. Every renderer is a pure function of a
:class:`~bot.documents.model.DigestData` and a :class:`locales.Translator`.
"""

from __future__ import annotations

from bot.documents.chart import ChartData, write_chart
from bot.documents.docx import write_docx
from bot.documents.exports import write_questions_csv, write_questions_jsonl
from bot.documents.model import (
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
from bot.documents.text import render_digest_text, render_mail, render_nothing_new
from bot.documents.xlsx import write_xlsx

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
