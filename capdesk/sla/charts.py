"""Attainment charts as plain SVG geometry, drawn by a template (no JavaScript: the CSP allows none inline).

Pure: report rows in, bars with their coordinates out. Sizes are SVG user units; the
template sets a viewBox so the chart scales with the page. Colours are presentation
attributes, not ``style``, because the CSP refuses inline styles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext

from capdesk.sla.reports import Row, whole_minutes

LABEL_WIDTH = 160
BAR_AREA = 400
ROW_HEIGHT = 24
BAR_HEIGHT = 16
MET_COLOUR = "#2f855a"
MISSED_COLOUR = "#c53030"
MEDIAN_COLOUR = "#3182ce"
P90_COLOUR = "#90cdf4"


@dataclass(frozen=True)
class Bar:
    """One bar: where it starts and ends, its colour, and what it says."""

    x: int
    y: int
    width: int
    height: int
    colour: str
    title: str  # the tooltip (an SVG <title>), for exact figures


@dataclass(frozen=True)
class ChartRow:
    """The label of one group and its bars."""

    label: str
    label_y: int
    value_text: str
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class Chart:
    """A horizontal bar chart: one row per group."""

    title: str
    width: int
    height: int
    value_x: int
    rows: tuple[ChartRow, ...]


def share_met_chart(title: str, rows: Sequence[Row]) -> Chart:
    """Met in green, missed in red, the two adding up to the whole width: the share is the green part."""
    chart_rows = []
    for index, row in enumerate(rows):
        y = index * ROW_HEIGHT
        met = round(BAR_AREA * row.share_met)
        label = _label(row)
        bars = (
            Bar(LABEL_WIDTH, y, met, BAR_HEIGHT, MET_COLOUR, f"{label}: {row.met} of {row.targets} met"),
            Bar(
                LABEL_WIDTH + met,
                y,
                BAR_AREA - met,
                BAR_HEIGHT,
                MISSED_COLOUR,
                f"{label}: {row.targets - row.met} of {row.targets} missed",
            ),
        )
        text = f"{row.share_met:.1%} of {row.targets}"
        chart_rows.append(ChartRow(label, y + BAR_HEIGHT - 4, text, tuple(b for b in bars if b.width)))
    return _chart(title, chart_rows)


def response_chart(title: str, rows: Sequence[Row]) -> Chart:
    """Median over p90 response (business minutes) on one scale: the longest p90 fills the width."""
    longest = max((r.p90.total_seconds() for r in rows if r.p90 is not None), default=0.0)
    # Replies sent outside business hours take zero business time; a one-minute scale
    # still draws them as the thinnest bar rather than as if nobody had replied.
    scale = longest or 60.0
    chart_rows = []
    for index, row in enumerate(rows):
        y = index * ROW_HEIGHT
        label = _label(row)
        bars = []
        if row.answered and row.p90 is not None and row.median is not None:
            p90 = max(1, round(BAR_AREA * row.p90.total_seconds() / scale))
            median = max(1, round(BAR_AREA * row.median.total_seconds() / scale))
            bars = [
                Bar(
                    LABEL_WIDTH, y, p90, BAR_HEIGHT, P90_COLOUR, f"{label}: p90 {whole_minutes(row.p90)} min"
                ),
                Bar(
                    LABEL_WIDTH,
                    y + 4,
                    median,
                    BAR_HEIGHT - 8,
                    MEDIAN_COLOUR,
                    f"{label}: median {whole_minutes(row.median)} min",
                ),
            ]
            text = f"{whole_minutes(row.median)} / {whole_minutes(row.p90)} min"
        else:
            text = gettext("no replies")
        chart_rows.append(ChartRow(label, y + BAR_HEIGHT - 4, text, tuple(bars)))
    return _chart(title, chart_rows)


def _label(row: Row) -> str:
    return " · ".join(part or "(no reply)" for part in row.key)


def _chart(title: str, rows: list[ChartRow]) -> Chart:
    return Chart(
        title=title,
        width=LABEL_WIDTH + BAR_AREA + 140,
        height=max(ROW_HEIGHT, len(rows) * ROW_HEIGHT),
        value_x=LABEL_WIDTH + BAR_AREA + 8,
        rows=tuple(rows),
    )
