"""A phone-readable chart of the digest: questions by topic group and by unit.

The PNG is 1080 px wide (a phone screen's width), portrait, with large text. Each bar has
its label on its own line above it rather than in a left margin, so long Vietnamese names
("Khởi nghiệp, lập nghiệp, vay vốn") keep the full width instead of squeezing the bars.

The figure is drawn with the object API (``Figure`` + ``FigureCanvasAgg``): no pyplot, no
global backend switch, no shared state between threads rendering at the same time.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.digests.model import DigestData, format_datetime_vn, format_number
from locales import Translator

WIDTH_PX = 1080
DPI = 100
FONT = "DejaVu Sans"  # ships with matplotlib and has every Vietnamese glyph
LABEL_SIZE = 21
VALUE_SIZE = 21
TITLE_SIZE = 26
MAX_UNITS = 15
LABEL_WRAP = 52  # characters per label line at LABEL_SIZE on 1080 px
BAR_COLORS = ("#1f5fa8", "#c0392b")


@dataclass(frozen=True, slots=True)
class ChartData:
    """What the chart shows, top bar first: (label, number of questions)."""

    by_topic: tuple[tuple[str, int], ...]
    by_unit: tuple[tuple[str, int], ...]


def chart_data(data: DigestData, *, tr: Translator, max_units: int = MAX_UNITS) -> ChartData:
    """The bars of :func:`write_chart`: topics and the busiest units, most questions first.

    Units beyond ``max_units`` are summed into one last "other units" entry (unless that
    would be a single unit, which is then shown by name).
    """
    named, others = _unit_entries(data, tr=tr, max_units=max_units)
    return ChartData(
        by_topic=_topic_entries(data),
        by_unit=named if others is None else (*named, others),
    )


def _topic_entries(data: DigestData) -> tuple[tuple[str, int], ...]:
    items = [(s.topic, s.question_count) for s in data.topics if s.question_count > 0]
    return tuple(sorted(items, key=lambda item: -item[1]))


def _unit_entries(
    data: DigestData, *, tr: Translator, max_units: int
) -> tuple[tuple[tuple[str, int], ...], tuple[str, int] | None]:
    units = sorted(
        ((u.name, u.question_count) for u in data.units if u.question_count > 0),
        key=lambda item: -item[1],
    )
    if len(units) <= max_units + 1:
        return tuple(units), None
    rest = units[max_units:]
    label = tr.n("digest.chart.other_units", len(rest), count=format_number(len(rest), tr.language))
    return tuple(units[:max_units]), (label, sum(n for _, n in rest))


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


def write_chart(
    data: DigestData, path: Path | str, *, tr: Translator, max_units: int = MAX_UNITS
) -> ChartData:
    """Draw the chart as a PNG at ``path`` (1080 px wide) and return the data it shows.

    The "other units" total is written as a line under the unit bars rather than drawn
    as a bar: summed over dozens of units it would dwarf every named one.
    """
    named, others = _unit_entries(data, tr=tr, max_units=max_units)
    topics = _topic_entries(data)
    note = None
    if others is not None:
        count = tr.n(
            "digest.count.questions", others[1], count=format_number(others[1], tr.language)
        )
        note = f"{others[0]}: {count}"
    panels = (
        _Panel(
            tr.t("digest.chart.by_topic"),
            tuple(_wrap(label) for label, _ in topics),
            tuple(n for _, n in topics),
            BAR_COLORS[0],
        ),
        _Panel(
            tr.t("digest.chart.by_unit"),
            tuple(_wrap(label) for label, _ in named),
            tuple(n for _, n in named),
            BAR_COLORS[1],
            note,
        ),
    )
    # One text line at LABEL_SIZE; 13 topics + 16 units then fit in ~2,560 px, the longest
    # side messengers keep before downscaling a photo.
    line_in = 0.36
    header_in, footer_in, gap_in = 1.5, 0.6, 1.1
    fig_height = header_in + footer_in + sum(gap_in + line_in * p.lines for p in panels)
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
    top = fig_height - header_in
    for panel in panels:
        panel_in = line_in * panel.lines
        bottom = top - gap_in - panel_in
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
    return ChartData(by_topic=topics, by_unit=named if others is None else (*named, others))


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
