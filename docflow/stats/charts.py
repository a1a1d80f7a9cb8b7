"""Charts as SVG drawn on the server: readable without JavaScript, printable, and accessible.

No chart library is installed in the virtualenv (none renders SVG server-side without one), so this
small module draws the three kinds the statistics pages need: grouped or stacked vertical bars
(volume per month), horizontal bars (by type, issuer, unit: long labels) and lines (trends, shares).

Every chart is an inline `<svg role="img">` with a `<title>` and a `<desc>` (its figures in words)
named by `aria-labelledby`, and a `<title>` on each bar or point (the browser's tooltip). Colours are
presentation attributes, never `style=` (the CSP allows no inline styles). Every text is escaped.
The pages always show the same figures in a table beside the chart.
"""

import functools
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from babel import Locale
from babel.numbers import get_decimal_symbol, get_group_symbol, get_minus_sign_symbol
from flask import has_request_context
from flask_babel import format_decimal, get_locale
from markupsafe import Markup, escape

#: Bootstrap's palette (blue, orange, green, purple, pink, teal, grey): distinct in print and for the
#: common colour-vision deficiencies when read with the legend and the table
PALETTE = ("#0d6efd", "#fd7e14", "#198754", "#6f42c1", "#d63384", "#20c997", "#6c757d")
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', Arial, sans-serif"
_ids = itertools.count(1)


@dataclass(frozen=True)
class Series:
    """One series of a chart: its name (legend) and one value per category (None: no value)."""

    name: str
    values: Sequence[float | int | None]
    #: a colour of its own (a figure whose colour says something: overdue in red), else the palette's
    color: str | None = None


def color_of(series: Series, j: int) -> str:
    return series.color or PALETTE[j % len(PALETTE)]


def number(value, digits: int = 1) -> str:
    """A figure as the page shows it (1.234 in Vietnamese, 1,234 in English; at most `digits` decimals)."""
    if value is None:
        return "–"
    if isinstance(value, float) and not value.is_integer():
        value = round(value, digits)
    elif isinstance(value, float):
        value = int(value)
    if not has_request_context():
        return f"{value:,}"
    symbols = _symbols(get_locale())
    if symbols is not None and type(value) in (int, float) and 0 <= digits <= 3:
        # a page shows hundreds of figures: Babel's own formatting is ~0.3 ms each
        text = f"{abs(value):,}"
        if "e" not in text and "n" not in text:  # not 1e+16, inf or nan
            text = text.replace(",", "\0").replace(".", symbols[1]).replace("\0", symbols[0])
            return symbols[2] + text if value < 0 else text
    return format_decimal(value)


@functools.lru_cache(maxsize=32)
def _symbols(locale: Locale | None) -> tuple[str, str, str] | None:
    """(group, decimal, minus) of a locale whose decimal pattern is the plain "#,##0.###" (then a number
    reads as Python's f"{value:,}" with these symbols: the same text as Babel's), else None."""
    if locale is None:
        return None
    pattern = locale.decimal_formats.get(None)
    if pattern is None or pattern.pattern != "#,##0.###":
        return None
    return get_group_symbol(locale), get_decimal_symbol(locale), get_minus_sign_symbol(locale)


def nice_scale(top: float, ticks: int = 4) -> tuple[float, float]:
    """(axis maximum, step): a round step (1, 2, 2.5 or 5 times a power of ten) with about `ticks`
    steps reaching at least `top`; (1, 0.25)-like for an empty chart."""
    if top is None or top <= 0 or not math.isfinite(top):
        return 4.0, 1.0
    raw = top / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * power
        if step >= raw:
            break
    if step < 1 and float(top).is_integer():  # counts: whole steps
        step = 1.0
    maximum = step * math.ceil(top / step)
    return float(maximum), float(step)


def _new_id(prefix: str) -> str:
    return f"{prefix}-{next(_ids)}"


def _text(x, y, content, *, anchor="middle", size=11, fill="#212529", weight=None, extra="") -> str:
    w = f' font-weight="{weight}"' if weight else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" fill="{fill}"'
            f'{w}{extra}>{escape(content)}</text>')


def _short(label: str, limit: int) -> str:
    label = str(label)
    return label if len(label) <= limit else label[: max(1, limit - 1)].rstrip() + "…"


def _desc(categories, series: Sequence[Series], unit: str) -> str:
    """The figures in words, for screen readers: "Tháng 1: Đến 3, Đi 2; Tháng 2: ..."."""
    parts = []
    for i, category in enumerate(categories):
        values = ", ".join(f"{s.name} {number(s.values[i])}{unit}" for s in series)
        parts.append(f"{category}: {values}")
    return "; ".join(parts)


def _open(chart_id: str, title: str, desc: str, width: int, height: int, kind: str) -> list[str]:
    chart_id = str(escape(chart_id))
    return [f'<svg xmlns="http://www.w3.org/2000/svg" class="stats-chart stats-chart-{kind}" id="{chart_id}" '
            f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" viewBox="0 0 {width} {height}" '
            f'width="100%" preserveAspectRatio="xMidYMid meet" font-family="{FONT}">',
            f'<title id="{chart_id}-title">{escape(title)}</title>',
            f'<desc id="{chart_id}-desc">{escape(desc)}</desc>']


def _close(out: list[str]) -> Markup:
    """The finished SVG as markup: every piece of text in it went through `escape` (labels, names,
    titles) or is a number this module formatted, so it is safe to mark."""
    out.append("</svg>")
    return Markup("\n".join(out))  # noqa: S704 - built from escaped text and numbers only


def _legend(series: Sequence[Series], x: float, y: float, markers: str = "rect") -> list[str]:
    out = ['<g class="legend">']
    for i, s in enumerate(series):
        color = color_of(s, i)
        if markers == "line":
            out.append(f'<line x1="{x:.1f}" y1="{y - 4:.1f}" x2="{x + 14:.1f}" y2="{y - 4:.1f}" stroke="{color}" '
                       f'stroke-width="3"/>')
        else:
            out.append(f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="12" height="12" fill="{color}"/>')
        out.append(_text(x + 18, y, s.name, anchor="start", size=12))
        x += 30 + 7 * len(s.name)
    out.append("</g>")
    return out


def _y_axis(top: float, step: float, left: float, right: float, y0: float, plot_h: float, unit: str) -> list[str]:
    out = ['<g class="axis axis-y">']
    ticks = int(round(top / step)) if step else 0
    for k in range(ticks + 1):
        value = step * k
        y = y0 - plot_h * (value / top if top else 0)
        out.append(f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{right:.1f}" y2="{y:.1f}" stroke="#dee2e6" '
                   f'stroke-width="1"/>')
        out.append(_text(left - 6, y + 4, f"{number(value)}{unit}", anchor="end", size=11, fill="#6c757d"))
    out.append(f'<line x1="{left:.1f}" y1="{y0:.1f}" x2="{right:.1f}" y2="{y0:.1f}" stroke="#6c757d" '
               f'stroke-width="1"/>')
    out.append("</g>")
    return out


def bar_chart(title: str, categories: Sequence[str], series: Sequence[Series], *, stacked: bool = False,
              unit: str = "", width: int = 720, height: int = 300, chart_id: str | None = None) -> Markup:
    """Vertical bars, one group per category (side by side, or `stacked`), y axis from zero."""
    chart_id = chart_id or _new_id("chart")
    categories = [str(c) for c in categories]
    n = max(len(categories), 1)
    left, right, top_pad, legend_h, bottom = 56, 12, 16, 24, 44
    plot_w = width - left - right
    plot_h = height - top_pad - bottom - legend_h
    y0 = top_pad + plot_h
    values = [[v or 0 for v in s.values] for s in series]
    if stacked:
        peak = max((sum(col) for col in zip(*values, strict=True)), default=0) if values else 0
    else:
        peak = max((v for vs in values for v in vs), default=0)
    top, step = nice_scale(peak)
    out = _open(chart_id, title, _desc(categories, series, unit), width, height, "bar")
    out += _y_axis(top, step, left, width - right, y0, plot_h, unit)
    band = plot_w / n
    groups = 1 if stacked else max(len(series), 1)
    bar_w = min(48.0, band * 0.8 / groups)
    label_limit = max(3, int(band / 6.5))
    out.append('<g class="bars">')
    for i, category in enumerate(categories):
        x_start = left + band * i + (band - bar_w * groups) / 2
        base = 0.0
        for j, s in enumerate(series):
            value = s.values[i] if i < len(s.values) else None
            v = value or 0
            h = plot_h * (v / top) if top else 0
            x = x_start + (0 if stacked else bar_w * j)
            y = y0 - h - (plot_h * (base / top) if stacked and top else 0)
            color = color_of(s, j)
            out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(bar_w - 1, 1):.1f}" height="{h:.1f}" '
                       f'fill="{color}" data-value="{escape(value if value is not None else "")}">'
                       f'<title>{escape(category)} – {escape(s.name)}: {escape(number(value))}{escape(unit)}</title>'
                       f'</rect>')
            if not stacked and v and bar_w >= 14:
                out.append(_text(x + bar_w / 2, y - 3, number(value), size=10, fill="#495057"))
            if stacked:
                base += v
        out.append(f'<g><title>{escape(category)}</title>'
                   + _text(left + band * i + band / 2, y0 + 16, _short(category, label_limit), size=11) + "</g>")
        if stacked and base and bar_w >= 14:
            out.append(_text(x_start + bar_w / 2, y0 - plot_h * (base / top) - 3, number(base), size=10,
                             fill="#495057"))
    out.append("</g>")
    out += _legend(series, left, height - 8)
    return _close(out)


def hbar_chart(title: str, categories: Sequence[str], series: Sequence[Series], *, unit: str = "",
               width: int = 720, row_height: int = 26, chart_id: str | None = None) -> Markup:
    """Horizontal bars, one row per category (long labels: types, issuers, units), series side by side."""
    chart_id = chart_id or _new_id("chart")
    categories = [str(c) for c in categories]
    groups = max(len(series), 1)
    row_h = max(row_height, 10 * groups + 8)
    label_w, right, top_pad, axis_h, legend_h = 210, 48, 8, 22, 24
    height = top_pad + row_h * max(len(categories), 1) + axis_h + legend_h
    plot_w = width - label_w - right
    peak = max((v or 0 for s in series for v in s.values), default=0)
    top, step = nice_scale(peak)
    x0 = label_w
    out = _open(chart_id, title, _desc(categories, series, unit), width, height, "hbar")
    y_axis = top_pad + row_h * max(len(categories), 1)
    out.append('<g class="axis axis-x">')
    ticks = int(round(top / step)) if step else 0
    for k in range(ticks + 1):
        value = step * k
        x = x0 + plot_w * (value / top if top else 0)
        out.append(f'<line x1="{x:.1f}" y1="{top_pad:.1f}" x2="{x:.1f}" y2="{y_axis:.1f}" stroke="#dee2e6" '
                   f'stroke-width="1"/>')
        out.append(_text(x, y_axis + 15, f"{number(value)}{unit}", size=11, fill="#6c757d"))
    out.append("</g>")
    bar_h = (row_h - 8) / groups
    out.append('<g class="bars">')
    for i, category in enumerate(categories):
        y_row = top_pad + row_h * i
        out.append(f'<g><title>{escape(category)}</title>'
                   + _text(x0 - 6, y_row + row_h / 2 + 4, _short(category, 32), anchor="end", size=11) + "</g>")
        for j, s in enumerate(series):
            value = s.values[i] if i < len(s.values) else None
            v = value or 0
            w = plot_w * (v / top) if top else 0
            y = y_row + 4 + bar_h * j
            color = color_of(s, j)
            out.append(f'<rect x="{x0:.1f}" y="{y:.1f}" width="{w:.1f}" height="{max(bar_h - 1, 1):.1f}" '
                       f'fill="{color}" data-value="{escape(value if value is not None else "")}">'
                       f'<title>{escape(category)} – {escape(s.name)}: {escape(number(value))}{escape(unit)}</title>'
                       f'</rect>')
            out.append(_text(x0 + w + 4, y + bar_h / 2 + 3, number(value), anchor="start", size=10, fill="#495057"))
    out.append(f'<line x1="{x0:.1f}" y1="{top_pad:.1f}" x2="{x0:.1f}" y2="{y_axis:.1f}" stroke="#6c757d" '
               f'stroke-width="1"/>')
    out.append("</g>")
    out += _legend(series, x0, height - 6)
    return _close(out)


def line_chart(title: str, categories: Sequence[str], series: Sequence[Series], *, unit: str = "",
               percent: bool = False, width: int = 720, height: int = 280, chart_id: str | None = None) -> Markup:
    """Lines with a marker per point (a None value breaks the line); `percent`: the axis runs 0–100."""
    chart_id = chart_id or _new_id("chart")
    categories = [str(c) for c in categories]
    n = max(len(categories), 1)
    left, right, top_pad, legend_h, bottom = 56, 24, 16, 24, 40
    plot_w = width - left - right
    plot_h = height - top_pad - bottom - legend_h
    y0 = top_pad + plot_h
    peak = max((v for s in series for v in s.values if v is not None), default=0)
    top, step = (100.0, 25.0) if percent and peak <= 100 else nice_scale(peak)
    out = _open(chart_id, title, _desc(categories, series, unit), width, height, "line")
    out += _y_axis(top, step, left, width - right, y0, plot_h, unit)
    band = plot_w / n

    def x_of(i: int) -> float:
        return left + band * i + band / 2

    for i, category in enumerate(categories):
        out.append(f'<g><title>{escape(category)}</title>'
                   + _text(x_of(i), y0 + 16, _short(category, max(3, int(band / 6.5))), size=11) + "</g>")
    for j, s in enumerate(series):
        color = color_of(s, j)
        points = [(x_of(i), y0 - plot_h * (v / top) if top and v is not None else y0, v)
                  for i, v in enumerate(s.values) if i < n]
        segment: list[str] = []
        paths = []
        for x, y, v in points:
            if v is None:
                if len(segment) > 1:
                    paths.append(segment)
                segment = []
            else:
                segment.append(f"{x:.1f},{y:.1f}")
        if len(segment) > 1:
            paths.append(segment)
        out.append(f'<g class="series series-{j}">')
        for seg in paths:
            out.append(f'<polyline points="{" ".join(seg)}" fill="none" stroke="{color}" stroke-width="2.5"/>')
        for i, (x, y, v) in enumerate(points):
            if v is None:
                continue
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{color}" data-value="{escape(v)}">'
                       f'<title>{escape(categories[i])} – {escape(s.name)}: {escape(number(v))}{escape(unit)}</title>'
                       f'</circle>')
            out.append(_text(x, y - 8, f"{number(v)}{unit}", size=10, fill="#495057"))
        out.append("</g>")
    out += _legend(series, left, height - 8, markers="line")
    return _close(out)
