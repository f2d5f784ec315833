"""Charts drawn on the server as inline SVG: no script, nothing from another host (CSP), readable without colour.

Pure functions of their input. Colours are presentation attributes, not styles, so the
page's CSP (style-src 'self') allows them; every bar carries a <title> with its numbers,
and the legend repeats each series' name beside its colour.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

# Eight hues, each at least 3:1 against white (WCAG 1.4.11, non-text contrast).
PALETTE = ("#1f5fbf", "#b35c00", "#1d6b3a", "#a4231b", "#6b3fa0", "#00727a", "#7a5c00", "#55606e")
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 720, 260, 44, 36, 24


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[int]


def _nice_max(value: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000):
        if value <= step * 4:
            return step * 4
    return value


def stacked_bars(labels: Sequence[str], series: Sequence[Series], *, title: str) -> SafeString:
    """Columns per label (a week), stacked by series (a channel, an outcome ...)."""
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    top = _nice_max(max(totals, default=0) or 1)
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    slot = plot_w / max(len(labels), 1)
    bar_w = max(slot * 0.7, 2)
    parts: list[str] = []
    for tick in range(5):
        value = top * tick // 4
        y = TOP + plot_h - plot_h * tick / 4
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - 8}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d8dde4"/>')
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#55606e">{value}</text>'
        )
    for i, label in enumerate(labels):
        x = LEFT + slot * i + (slot - bar_w) / 2
        y = TOP + plot_h
        for j, s in enumerate(series):
            n = s.values[i]
            if not n:
                continue
            h = plot_h * n / top
            y -= h
            tip = escape(f"{label} · {s.name}: {n}")
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[j % len(PALETTE)]}"><title>{tip}</title></rect>'
            )
        # Every fourth label stays on a phone (the stylesheet hides the rest and enlarges these).
        kept = "" if i % 4 == (len(labels) - 1) % 4 else ' class="minor"'
        if len(labels) <= 16 or i % 2 == 0 or not kept:
            # The last label ends at its bar, so it is not cut off at the chart's right edge.
            last = i == len(labels) - 1
            anchor, lx = ("end", x + bar_w) if last else ("middle", x + bar_w / 2)
            parts.append(
                f'<text x="{lx:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="{anchor}" '
                f'font-size="11" fill="#55606e"{kept}>{escape(label)}</text>'
            )
    svg = (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>'
    )
    legend = "".join(
        format_html(
            '<li><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" fill="{}"/></svg> {} ({})</li>',
            PALETTE[j % len(PALETTE)],
            s.name,
            sum(s.values),
        )
        for j, s in enumerate(series)
    )
    return mark_safe(f'{svg}<ul class="legend">{legend}</ul>')  # noqa: S308 - every value escaped above
