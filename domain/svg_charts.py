"""Small charts drawn as inline SVG on the server: no JavaScript library, no internet access.

Every text is escaped; the functions return an SVG string to embed in a page."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

PALETTE = ("#2f6fb0", "#f0a202", "#5aa469", "#d1495b", "#8e7cc3", "#00a6a6")
FONT = 'font-family="sans-serif" font-size="11"'


TICKS = 4  # equal steps up the axis of a bar chart


def _nice_max(value: float) -> float:
    """The axis maximum: TICKS equal steps of a round whole number (1, 2, 2.5, 3, 4, 5, 6 or 8
    x 10^k), the smallest whose top is not below `value`. Counts and đồng are whole numbers, so
    are the ticks: a month with one dossier reads 0 1 2 3 4, not 0 0 0 1 1."""
    step_at_least = max(value, 0) / TICKS
    exp = 10 ** max(0, math.floor(math.log10(step_at_least))) if step_at_least >= 1 else 1
    for step in (1, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if float(step * exp).is_integer() and step * exp >= step_at_least:
            return float(TICKS * step * exp)
    return float(TICKS * 10 * exp)


def _default_format(value: float) -> str:
    text = f"{value:,.0f}"
    return text.replace(",", ".")


def _grid(top_value, left, right_x, top, plot_h, value_format) -> list[str]:
    """Horizontal grid lines with their values on the left axis."""
    parts = []
    for i in range(TICKS + 1):
        value = top_value * i / TICKS
        y = top + plot_h - plot_h * i / TICKS
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right_x}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" {FONT} '
            f'fill="#555">{escape(value_format(value))}</text>'
        )
    return parts


def _legend(names, left, colors) -> list[str]:
    """A colour square and the name of each series, in a row above the plot."""
    parts = []
    x = left
    for k, name in enumerate(names):
        parts.append(
            f'<rect x="{x}" y="6" width="10" height="10" fill="{colors[k % len(colors)]}"/>'
        )
        parts.append(f'<text x="{x + 14}" y="15" {FONT} fill="#333">{escape(name)}</text>')
        x += 24 + 7 * len(name)
    return parts


def bar_chart(
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    width: int = 640,
    height: int = 240,
    title: str = "",
    value_format: Callable[[float], str] = _default_format,
    colors: Sequence[str] = PALETTE,
) -> str:
    """Vertical bars, stacked when there are several series, with a legend and axis ticks."""
    left, right, top, bottom = 56, 8, 26 if len(series) > 1 else 10, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(categories), 1)
    totals = [sum(values[i] for _, values in series) for i in range(len(categories))]
    top_value = _nice_max(max(totals, default=0))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
    ]
    parts.extend(_grid(top_value, left, width - right, top, plot_h, value_format))
    slot = plot_w / n
    bar_w = max(2.0, slot * 0.7)
    label_every = max(1, math.ceil(n / 12))
    for i, category in enumerate(categories):
        x = left + slot * i + (slot - bar_w) / 2
        y = top + plot_h
        for k, (name, values) in enumerate(series):
            value = values[i]
            h = plot_h * value / top_value if top_value else 0
            if h > 0:
                y -= h
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                    f'fill="{colors[k % len(colors)]}"><title>{escape(category)} – '
                    f"{escape(name)}: {escape(value_format(value))}</title></rect>"
                )
        if i % label_every == 0:
            parts.append(
                f'<text x="{left + slot * i + slot / 2:.1f}" y="{height - bottom + 14}" '
                f'text-anchor="middle" {FONT} fill="#333">{escape(category)}</text>'
            )
    if len(series) > 1:
        parts.extend(_legend([name for name, _ in series], left, colors))
    parts.append("</svg>")
    return "".join(parts)


def hbar_chart(
    rows: Sequence[tuple[str, float, str]],
    *,
    width: int = 640,
    title: str = "",
    maximum: float = 100.0,
    color: str = PALETTE[2],
    alert_below: float | None = None,
    alert_color: str = PALETTE[3],
) -> str:
    """Horizontal bars, one per (label, value, value text) row, e.g. an on-time share per agency."""
    row_h, label_w, text_w = 20, 220, 64
    height = max(row_h * len(rows) + 8, 28)
    plot_w = width - label_w - text_w
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, value, text) in enumerate(rows):
        y = 4 + i * row_h
        w = plot_w * max(0.0, min(value, maximum)) / maximum if maximum else 0
        fill = alert_color if alert_below is not None and value < alert_below else color
        short = label if len(label) <= 34 else label[:33] + "…"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end" {FONT} '
            f'fill="#333"><title>{escape(label)}</title>{escape(short)}</text>'
        )
        parts.append(
            f'<rect x="{label_w}" y="{y + 2}" width="{plot_w}" height="{row_h - 6}" fill="#eee"/>'
        )
        parts.append(
            f'<rect x="{label_w}" y="{y + 2}" width="{w:.1f}" height="{row_h - 6}" '
            f'fill="{fill}"><title>{escape(label)}: {escape(text)}</title></rect>'
        )
        parts.append(
            f'<text x="{label_w + plot_w + 6}" y="{y + 13}" {FONT} '
            f'fill="#333">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
