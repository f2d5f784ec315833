"""WCAG 2.1 AA contrast of the house palette: 4.5:1 for text (1.4.3), 3:1 for chart marks (1.4.11)."""

import re
from pathlib import Path

import pytest

from capdesk.console.charts import PALETTE

CSS = Path(__file__).resolve().parents[2] / "core" / "static" / "capdesk" / "capdesk.css"


def _variables() -> dict[str, str]:
    root = re.search(r":root\s*\{(.*?)\}", CSS.read_text(), re.S)
    assert root is not None
    return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{3,6})", root.group(1)))


def _luminance(colour: str) -> float:
    hex_ = colour.lstrip("#")
    if len(hex_) == 3:
        hex_ = "".join(c * 2 for c in hex_)
    channels = [int(hex_[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_it_computes_contrast_as_wcag_defines_it():
    assert round(contrast("#000", "#fff"), 1) == 21.0
    assert round(contrast("#777777", "#ffffff"), 2) == 4.48


V = _variables()
# (foreground, background, where): every text pairing the stylesheet uses.
TEXT_PAIRS = [
    (V["ink"], V["bg"], "body text"),
    (V["ink"], V["card"], "text on cards"),
    (V["muted"], V["bg"], "muted text on the page"),
    (V["muted"], V["card"], "muted text on cards"),
    (V["muted"], "#f0f2f5", "muted text on code blocks"),
    (V["accent"], V["bg"], "links on the page"),
    (V["accent"], V["card"], "links on cards"),
    (V["accent-ink"], V["accent"], "primary buttons"),
    (V["ink"], "#e6ebf2", "secondary buttons and badges"),
    ("#ffffff", V["ink"], "top bar"),
    (V["danger"], "#fbe9e7", "urgent badge and errors"),
    (V["warn"], "#fff3d6", "high badge"),
    (V["ok"], "#e3f3e8", "solved badge"),
    (V["ink"], "#fff0a8", "search hits"),
    ("#5c3d00", "#fff3d6", "presence notice"),
    (V["ink"], "#fffbea", "internal notes"),
    (V["ink"], "#e7f0fb", "flash messages"),
    ("#ffffff", V["accent"], "the current filter"),
]


@pytest.mark.parametrize(("fg", "bg", "where"), TEXT_PAIRS, ids=[p[2] for p in TEXT_PAIRS])
def test_every_text_colour_meets_aa_on_its_background(fg, bg, where):
    assert contrast(fg, bg) >= 4.5, f"{where}: {fg} on {bg} is {contrast(fg, bg):.2f}:1"


@pytest.mark.parametrize("colour", PALETTE)
def test_every_chart_colour_stands_out_from_the_card(colour):
    assert contrast(colour, "#ffffff") >= 3.0


@pytest.mark.parametrize("background", [V["ink"], V["bg"], V["card"]])
def test_the_focus_ring_stands_out_wherever_it_is_drawn(background):
    rings = ("#f0b400", "#1b2430")  # outline and box-shadow of :focus-visible
    assert any(contrast(ring, background) >= 3.0 for ring in rings)
    assert "box-shadow: 0 0 0 5px #1b2430" in CSS.read_text()
