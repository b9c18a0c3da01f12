"""A phone-readable chart of the digest: questions by topic group and by unit.

The PNG is 1080 px wide (a phone screen's width), portrait, with large text. Each bar has
its label on its own line above it rather than in a left margin, so long Vietnamese names
("Khởi nghiệp, lập nghiệp, vay vốn") keep the full width instead of squeezing the bars.

Its height is capped at :data:`MAX_HEIGHT_PX` (a 1080 × 2400 phone screen): the busiest
units and topic groups get bars, the rest are summed on a line under the bars ("Các đơn vị
khác (44 đơn vị): 183 câu hỏi"), so every question is still counted.

The figure is drawn with the object API (``Figure`` + ``FigureCanvasAgg``): no pyplot, no
global backend switch, no shared state between threads rendering at the same time.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.documents.model import DigestData, format_datetime_vn, format_number
from locales import Translator

WIDTH_PX = 1080
MAX_HEIGHT_PX = 2400  # one tall phone screen; also under the 2,560 px messengers keep
DPI = 100
FONT = "DejaVu Sans"  # ships with matplotlib and has every Vietnamese glyph
LABEL_SIZE = 21
VALUE_SIZE = 21
TITLE_SIZE = 26
MAX_UNITS = 10
MAX_TOPICS = 13  # the default topic list (bot.campaign.setup.DEFAULT_TOPICS) fits whole
MIN_BARS = 5  # bars a panel keeps however many the other one has
LABEL_WRAP = 52  # characters per label line at LABEL_SIZE on 1080 px
BAR_COLORS = ("#1f5fa8", "#c0392b")
# Vertical layout, in inches at DPI: one label line, the title block, the footer, the
# space above each panel.
LINE_IN = 0.36
HEADER_IN, FOOTER_IN, GAP_IN = 1.5, 0.6, 1.1

Entry = tuple[str, int]


@dataclass(frozen=True, slots=True)
class ChartData:
    """What the chart shows, top bar first: (label, number of questions).

    When a panel is cut short, its last entry is the rest summed ("Các đơn vị khác (44 đơn
    vị)", "… và 3 nhóm vấn đề khác"), so each panel's numbers add up to every question.
    """

    by_topic: tuple[Entry, ...]
    by_unit: tuple[Entry, ...]


def chart_data(
    data: DigestData,
    *,
    tr: Translator,
    max_units: int = MAX_UNITS,
    max_topics: int = MAX_TOPICS,
) -> ChartData:
    """The bars of :func:`write_chart`: topics and the busiest units, most questions first.

    At most ``max_units`` units and ``max_topics`` topic groups get a bar (fewer if the
    chart would grow past :data:`MAX_HEIGHT_PX`); the rest are summed into one last entry,
    unless that would be a single item, which is then shown by name.
    """
    return _layout(data, tr=tr, max_units=max_units, max_topics=max_topics).chart_data


def _topic_entries(data: DigestData) -> list[Entry]:
    items = [(s.topic, s.question_count) for s in data.topics if s.question_count > 0]
    return sorted(items, key=lambda item: -item[1])


def _unit_entries(data: DigestData) -> list[Entry]:
    items = [(u.name, u.question_count) for u in data.units if u.question_count > 0]
    return sorted(items, key=lambda item: -item[1])


def _split(items: Sequence[Entry], limit: int) -> tuple[tuple[Entry, ...], tuple[Entry, ...]]:
    """The first ``limit`` items and the rest; a rest of one item is shown by name."""
    if len(items) <= limit + 1:
        return tuple(items), ()
    return tuple(items[:limit]), tuple(items[limit:])


@dataclass(frozen=True, slots=True)
class _Panel:
    title: str
    labels: tuple[str, ...]  # wrapped
    values: tuple[int, ...]
    color: str
    note: str | None = None  # a last line of text under the bars

    @property
    def lines(self) -> float:
        """Height in "label lines": each bar takes its label lines plus 1.2 for the bar."""
        bars = sum(label.count("\n") + 2.2 for label in self.labels)
        return max(2.0, bars + (1.3 if self.note else 0))


def _panel(
    title: str, shown: Sequence[Entry], rest: Entry | None, color: str, *, tr: Translator
) -> _Panel:
    note = None
    if rest is not None:
        count = tr.n("digest.count.questions", rest[1], count=format_number(rest[1], tr.language))
        note = f"{rest[0]}: {count}"
    return _Panel(
        title,
        tuple(_wrap(label) for label, _ in shown),
        tuple(n for _, n in shown),
        color,
        note,
    )


@dataclass(frozen=True, slots=True)
class _Layout:
    panels: tuple[_Panel, _Panel]
    chart_data: ChartData

    @property
    def height_in(self) -> float:
        return HEADER_IN + FOOTER_IN + sum(GAP_IN + LINE_IN * p.lines for p in self.panels)


def _layout(data: DigestData, *, tr: Translator, max_units: int, max_topics: int) -> _Layout:
    """The panels, with as many bars as fit: units give way first, then topic groups."""
    topics, units = _topic_entries(data), _unit_entries(data)

    def build(topic_limit: int, unit_limit: int) -> _Layout:
        shown_topics, other_topics = _split(topics, topic_limit)
        shown_units, other_units = _split(units, unit_limit)
        topic_rest = unit_rest = None
        if other_topics:
            count = len(other_topics)
            label = tr.n("digest.topic.more_topics", count, count=format_number(count, tr.language))
            topic_rest = (label, sum(n for _, n in other_topics))
        if other_units:
            count = len(other_units)
            label = tr.n("digest.chart.other_units", count, count=format_number(count, tr.language))
            unit_rest = (label, sum(n for _, n in other_units))
        panels = (
            _panel(tr.t("digest.chart.by_topic"), shown_topics, topic_rest, BAR_COLORS[0], tr=tr),
            _panel(tr.t("digest.chart.by_unit"), shown_units, unit_rest, BAR_COLORS[1], tr=tr),
        )
        shown = ChartData(
            by_topic=shown_topics if topic_rest is None else (*shown_topics, topic_rest),
            by_unit=shown_units if unit_rest is None else (*shown_units, unit_rest),
        )
        return _Layout(panels, shown)

    topic_limit, unit_limit = max(1, max_topics), max(1, max_units)
    layout = build(topic_limit, unit_limit)
    max_in = MAX_HEIGHT_PX / DPI
    while layout.height_in > max_in and unit_limit > MIN_BARS:
        unit_limit -= 1
        layout = build(topic_limit, unit_limit)
    while layout.height_in > max_in and topic_limit > MIN_BARS:
        topic_limit -= 1
        layout = build(topic_limit, unit_limit)
    return layout


def write_chart(
    data: DigestData,
    path: Path | str,
    *,
    tr: Translator,
    max_units: int = MAX_UNITS,
    max_topics: int = MAX_TOPICS,
) -> ChartData:
    """Draw the chart as a PNG at ``path`` (1080 px wide) and return the data it shows.

    The "other units" and "other topic groups" totals are written as a line under the
    bars rather than drawn as a bar: summed over dozens of units they would dwarf every
    named one.
    """
    layout = _layout(data, tr=tr, max_units=max_units, max_topics=max_topics)
    fig_height = layout.height_in
    fig = Figure(figsize=(WIDTH_PX / DPI, fig_height), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    fig.text(
        0.5,
        1 - 0.45 / fig_height,
        _wrap(tr.t("digest.chart.title"), 60),
        ha="center",
        va="top",
        fontsize=TITLE_SIZE,
        fontweight="bold",
        fontfamily=FONT,
    )
    fig.text(
        0.5,
        1 - 1.0 / fig_height,
        _wrap(data.campaign_title, 80),
        ha="center",
        va="top",
        fontsize=LABEL_SIZE - 4,
        fontfamily=FONT,
        color="#444444",
    )
    top = fig_height - HEADER_IN
    for panel in layout.panels:
        panel_in = LINE_IN * panel.lines
        bottom = top - GAP_IN - panel_in
        ax = fig.add_axes((0.04, bottom / fig_height, 0.92, panel_in / fig_height))
        _draw_panel(ax, panel, tr=tr)
        top = bottom
    fig.text(
        0.5,
        0.25 / fig_height,
        tr.t("digest.chart.footer", at=format_datetime_vn(data.generated_at)),
        ha="center",
        va="bottom",
        fontsize=LABEL_SIZE - 6,
        fontfamily=FONT,
        color="#666666",
    )
    fig.savefig(str(path), format="png", dpi=DPI, facecolor="white")
    return layout.chart_data


def _draw_panel(ax: Axes, panel: _Panel, *, tr: Translator) -> None:
    ax.set_title(
        panel.title, loc="left", fontsize=TITLE_SIZE - 2, fontweight="bold", fontfamily=FONT, pad=14
    )
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.set_xticks([])
    ax.set_yticks([])
    if not panel.values:
        ax.text(
            0.5,
            0.5,
            tr.t("digest.no_questions"),
            ha="center",
            va="center",
            fontsize=LABEL_SIZE,
            fontfamily=FONT,
            transform=ax.transAxes,
        )
        return
    peak = max(panel.values) or 1
    # Lay items out from the top, y growing downwards in "lines": label, then its bar.
    y = 0.0
    positions = []
    for label in panel.labels:
        ax.text(0, y, label, ha="left", va="top", fontsize=LABEL_SIZE, fontfamily=FONT)
        y += label.count("\n") + 1.05
        positions.append(y + 0.38)
        y += 1.15
    ax.barh(positions, panel.values, height=0.76, color=panel.color, align="center")
    for pos, value in zip(positions, panel.values, strict=True):
        ax.text(
            value + peak * 0.01,
            pos,
            format_number(value, tr.language),
            ha="left",
            va="center",
            fontsize=VALUE_SIZE,
            fontweight="bold",
            fontfamily=FONT,
        )
    if panel.note:
        ax.text(
            0,
            y,
            panel.note,
            ha="left",
            va="top",
            fontsize=LABEL_SIZE,
            fontfamily=FONT,
            fontstyle="italic",
            color="#555555",
        )
        y += 1.3
    ax.set_xlim(0, peak * 1.15)  # room for the value after the longest bar
    ax.set_ylim(y, 0)


def _wrap(label: str, width: int = LABEL_WRAP) -> str:
    lines = textwrap.wrap(label, width=width, max_lines=2, placeholder="…") or [label]
    return "\n".join(lines)
