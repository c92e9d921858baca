"""Small server-rendered SVG charts for the admin (no JavaScript, no third-party library)."""

from datetime import date
from xml.sax.saxutils import escape

from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 12, 28


def _nice_max(value: int) -> int:
    """The smallest 4 × (1, 2 or 5 × 10ⁿ) at or above `value`: four round gridline steps."""
    step = 1
    while step * 4 < value:
        for factor in (2, 2.5, 2):  # 1 → 2 → 5 → 10 → 20 ...
            step = int(step * factor)
            if step * 4 >= value:
                break
    return step * 4


def bars_svg(series: list[tuple[date, int]], *, title: str, description: str) -> SafeString:
    """A bar chart of counts per day for screen readers too (title, desc, a <title> per bar)."""
    top = _nice_max(max((n for _, n in series), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(series), 1)
    bar = max(slot * 0.75, 1)
    parts = [
        f'<svg class="funnel-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(description)}</desc>',
    ]
    for i in range(5):
        value = top * i // 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#e4d8c6" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#5a4a40">{value}</text>'
        )
    label_every = max(1, len(series) // 8)
    for index, (day, n) in enumerate(series):
        x = LEFT + index * slot + (slot - bar) / 2
        h = plot_h * n / top if top else 0
        label = date_format(day, "SHORT_DATE_FORMAT")
        parts.append(
            f'<rect x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
            f'fill="#9c3d1f"><title>{escape(label)} : {n}</title></rect>'
        )
        if index % label_every == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{HEIGHT - 8}" text-anchor="middle" '
                f'font-size="11" fill="#5a4a40">{escape(date_format(day, "j b"))}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
