"""Charts drawn on the server as SVG strings: bars, a coverage gauge, a trend line.

No JavaScript and nothing fetched: the page prints as it shows. Every text
placed in the SVG is escaped here, so templates may insert the result as is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from markupsafe import Markup

__all__ = ["bar_chart", "gauge", "line_chart"]

PALETTE = ("#1f4e5f", "#d1603d", "#5b8c5a", "#b08d57", "#6c5b7b", "#3c8dbc", "#999999")
_FONT = 'font-family="Noto Sans CJK SC, Microsoft YaHei, sans-serif"'


def _text(x: float, y: float, text: object, *, size: int = 12, anchor: str = "start",
          weight: str = "normal", fill: str = "#222") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'font-weight="{weight}" fill="{fill}" {_FONT}>{escape(str(text))}</text>')


def _svg(width: int, height: int, title: str, body: list[str], css_class: str) -> Markup:
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css_class}" role="img" '
            f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'aria-label="{escape(title)}"><title>{escape(title)}</title>')
    return Markup(head + "".join(body) + "</svg>")


def bar_chart(
    items: Sequence[tuple[str, int | float]], *, title: str, width: int = 640,
    bar_height: int = 18, label_width: int = 150, peak: float | None = None,
) -> Markup:
    """Return a horizontal bar chart of (label, value) pairs as SVG.

    Each bar is labelled with its value; a scale of zero values draws no bars.
    ``peak`` is the value of a full-length bar (default: the largest value;
    100 for percentages, so 80 % draws four fifths).

    Examples
    --------
    >>> "<rect" in bar_chart([("餐饮", 3)], title="t")
    True
    """
    gap, top = 6, 28
    height = top + len(items) * (bar_height + gap) + 8
    peak = peak or max((float(v) for _, v in items), default=0.0) or 1.0
    span = width - label_width - 60
    body = [_text(0, 16, title, size=14, weight="bold")]
    for i, (label, value) in enumerate(items):
        y = top + i * (bar_height + gap)
        length = span * float(value) / peak
        body.append(_text(label_width - 6, y + bar_height - 5, label, anchor="end"))
        body.append(f'<rect class="bar" x="{label_width}" y="{y}" width="{length:.1f}" '
                    f'height="{bar_height}" fill="{PALETTE[0]}"/>')
        body.append(_text(label_width + length + 4, y + bar_height - 5, f"{value:,}"))
    return _svg(width, height, title, body, "bar-chart")


def gauge(share: float | None, *, title: str, width: int = 220) -> Markup:
    """Return a half-circle gauge of a share 0..1 with the percentage in the middle.

    The percentage has two decimals, as in the tables: the same number. A
    share of nothing (None or NaN: no premises to count) shows "—" on an
    empty track, as the tables do, rather than a misleading 0%.

    Examples
    --------
    >>> "85.09%" in gauge(0.8509, title="使用率")
    True
    >>> "—" in gauge(None, title="安装率")
    True
    """
    applicable = share is not None and not math.isnan(share)
    share = min(max(float(share or 0.0), 0.0), 1.0) if applicable else 0.0
    cx, cy, r = width / 2, width / 2 + 10, width / 2 - 20

    def point(fraction: float) -> tuple[float, float]:
        angle = math.pi * (1 - fraction)
        return cx + r * math.cos(angle), cy - r * math.sin(angle)

    x0, y0 = point(0.0)
    x1, y1 = point(1.0)
    xs, ys = point(share)
    track = f'M{x0:.1f},{y0:.1f} A{r:.1f},{r:.1f} 0 0 1 {x1:.1f},{y1:.1f}'
    body = [_text(cx, 16, title, size=13, anchor="middle", weight="bold"),
            f'<path d="{track}" fill="none" stroke="#e3e8eb" stroke-width="18"/>']
    if share > 0:
        arc = f'M{x0:.1f},{y0:.1f} A{r:.1f},{r:.1f} 0 0 1 {xs:.1f},{ys:.1f}'
        body.append(f'<path class="gauge-value" d="{arc}" fill="none" stroke="{PALETTE[2]}" '
                    f'stroke-width="18"/>')
    shown = f"{share:.2%}" if applicable else "—"
    body.append(_text(cx, cy - 8, shown, size=22, anchor="middle", weight="bold"))
    return _svg(int(width), int(cy + 14), title, body, "gauge")


def line_chart(
    labels: Sequence[str], series: dict[str, Sequence[int | float]], *, title: str,
    width: int = 640, height: int = 240,
) -> Markup:
    """Return a line chart: one polyline per named series over the x labels, with a legend.

    Examples
    --------
    >>> "<polyline" in line_chart(["1月", "2月"], {"检查": [3, 5]}, title="t")
    True
    """
    left, right, top, bottom = 48, 30, 44, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((float(v) for values in series.values() for v in values), default=0.0) or 1.0
    step = plot_w / max(len(labels) - 1, 1)
    body = [_text(0, 16, title, size=14, weight="bold"),
            f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
            f'stroke="#888"/>',
            _text(left - 6, top + 4, f"{peak:,.0f}", size=10, anchor="end"),
            _text(left - 6, top + plot_h, "0", size=10, anchor="end")]
    for i, label in enumerate(labels):
        body.append(_text(left + i * step, height - 10, label, size=10, anchor="middle"))
    for n, (name, values) in enumerate(series.items()):
        colour = PALETTE[n % len(PALETTE)]
        points = " ".join(f"{left + i * step:.1f},{top + plot_h * (1 - float(v) / peak):.1f}"
                          for i, v in enumerate(values))
        body.append(f'<polyline class="series" points="{points}" fill="none" '
                    f'stroke="{colour}" stroke-width="2"/>')
        x = left + n * 110
        body.append(f'<rect x="{x}" y="24" width="12" height="4" fill="{colour}"/>')
        body.append(_text(x + 16, 30, name, size=11))
    return _svg(width, height, title, body, "line-chart")
