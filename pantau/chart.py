"""A `.chart` output format for Datasette: any query's rows drawn as a server-side SVG chart.

Why server-side SVG: `pantau serve` must work offline and on analysts' locked-down machines, so
the chart needs no JavaScript library, no CDN and no extra plugin package. Any canned query (or
ad-hoc SQL) whose result has a label column and numeric columns gets a "chart" link next to
json/csv; e.g. /pantau/coverage_over_time.chart draws articles per month.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from datasette import hookimpl

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
TIME_NAMES = ("month", "day", "week", "date", "year", "hour")
MAX_SERIES = len(PALETTE)
MONTH_RE = re.compile(r"^\d{4}-\d{2}$")
DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _is_id(name: str) -> bool:
    """Row ids are numbers but not measures: never plot them."""
    name = name.lower()
    return name in ("id", "rowid", "revision") or name.endswith("_id")


def chart_series(
    columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> tuple[str, list[str], dict[str, list[float]]]:
    """(x column, x labels in order, {series name: values}) from a query result.

    x is the first time-like column (month, day, ...) or else the first column. A further
    text column (e.g. region or topic) splits the first numeric column into one series per
    value; without one, every numeric column is its own series.
    """
    if not columns or not rows:
        return (columns[0] if columns else "", [], {})
    rows = [list(r) for r in rows]
    idx = range(len(columns))
    numeric = [
        i
        for i in idx
        if any(_is_number(r[i]) for r in rows)
        and all(r[i] is None or _is_number(r[i]) for r in rows)
    ]
    text = [i for i in idx if i not in numeric]
    numeric = [i for i in numeric if not _is_id(columns[i])]
    x_i = next((i for i in text if columns[i].lower() in TIME_NAMES), text[0] if text else 0)
    numeric = [i for i in numeric if i != x_i]
    group_i = next((i for i in text if i != x_i), None)
    labels: list[str] = []
    for r in rows:
        label = "" if r[x_i] is None else str(r[x_i])
        if label not in labels:
            labels.append(label)
    if columns[x_i].lower() in TIME_NAMES:
        labels = fill_time_gaps(sorted(labels))
    pos = {label: n for n, label in enumerate(labels)}
    series: dict[str, list[float]] = {}
    if not numeric:
        return columns[x_i], labels, series
    if group_i is not None:
        y_i = numeric[0]
        totals: dict[str, float] = {}
        for r in rows:
            key = "(none)" if r[group_i] is None else str(r[group_i])
            totals[key] = totals.get(key, 0) + float(r[y_i] or 0)
        ranked = sorted(totals, key=lambda k: -totals[k])
        keep = set(ranked[: MAX_SERIES - 1]) if len(ranked) > MAX_SERIES else set(ranked)
        for r in rows:
            key = "(none)" if r[group_i] is None else str(r[group_i])
            key = key if key in keep else "(other)"
            values = series.setdefault(key, [0.0] * len(labels))
            values[pos["" if r[x_i] is None else str(r[x_i])]] += float(r[y_i] or 0)
        return columns[x_i], labels, series
    for i in numeric[:MAX_SERIES]:
        values = [0.0] * len(labels)
        for r in rows:
            values[pos["" if r[x_i] is None else str(r[x_i])]] += float(r[i] or 0)
        series[columns[i]] = values
    return columns[x_i], labels, series


def fill_time_gaps(labels: list[str], limit: int = 740) -> list[str]:
    """Months (YYYY-MM) or days (YYYY-MM-DD) with the empty ones in between, so a quiet month
    shows as a dip to zero instead of vanishing; other labels come back unchanged."""
    if len(labels) < 2:
        return labels
    if all(MONTH_RE.match(x) for x in labels):
        y, m = int(labels[0][:4]), int(labels[0][5:7])
        end, out = labels[-1], []
        while len(out) <= limit:
            out.append(f"{y:04d}-{m:02d}")
            if out[-1] >= end:
                return out
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return labels
    if all(DAY_RE.match(x) for x in labels):
        try:
            first, last = date.fromisoformat(labels[0]), date.fromisoformat(labels[-1])
        except ValueError:
            return labels
        span = (last - first).days
        if span > limit:
            return labels
        return [(first + timedelta(days=k)).isoformat() for k in range(span + 1)]
    return labels


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exp:
            return step * exp
    return 10 * exp


def svg_chart(
    x_name: str,
    labels: Sequence[str],
    series: dict[str, list[float]],
    *,
    width: int = 900,
    height: int = 360,
    title: str = "",
) -> str:
    """A line chart (points, axes, legend, hover titles) as a standalone SVG element."""
    esc = html.escape
    left, right, top, bottom = 56, 16, 28, 64
    pw, ph = width - left - right, height - top - bottom
    ymax = _nice_max(max((v for vals in series.values() for v in vals), default=0))
    n = len(labels)

    def x_at(k: int) -> float:
        return left + (pw / 2 if n == 1 else pw * k / (n - 1))

    def y_at(v: float) -> float:
        return top + ph - ph * v / ymax

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="pantau-chart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="sans-serif" font-size="11">',
        f"<title>{esc(title or x_name)}</title>",
    ]
    for k in range(5):
        v = ymax * k / 4
        y = y_at(v)
        parts.append(
            f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{v:g}</text>'
        )
    step = max(1, math.ceil(n / 12))
    for k, label in enumerate(labels):
        if k % step and k != n - 1:
            continue
        x = x_at(k)
        parts.append(
            f'<text class="x-label" x="{x:.1f}" y="{top + ph + 14}" text-anchor="end" '
            f'transform="rotate(-35 {x:.1f} {top + ph + 14})">{esc(label)}</text>'
        )
    parts.append(
        f'<line x1="{left}" x2="{left + pw}" y1="{top + ph}" y2="{top + ph}" stroke="#333"/>'
        f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + ph}" stroke="#333"/>'
    )
    for s, (name, values) in enumerate(series.items()):
        color = PALETTE[s % len(PALETTE)]
        points = " ".join(f"{x_at(k):.1f},{y_at(v):.1f}" for k, v in enumerate(values))
        parts.append(
            f'<polyline class="series" data-series="{esc(name)}" fill="none" '
            f'stroke="{color}" stroke-width="2" points="{points}"/>'
        )
        for k, v in enumerate(values):
            parts.append(
                f'<circle cx="{x_at(k):.1f}" cy="{y_at(v):.1f}" r="3" fill="{color}">'
                f"<title>{esc(name)} {esc(labels[k])}: {v:g}</title></circle>"
            )
        lx = left + 10 + 150 * s
        parts.append(
            f'<rect x="{lx}" y="6" width="10" height="10" fill="{color}"/>'
            f'<text class="legend" x="{lx + 14}" y="15">{esc(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


PAGE = """{% extends "base.html" %}
{% block title %}{{ title }}{% endblock %}
{% block content %}
<h1>{{ title }}</h1>
{% if description %}<p>{{ description }}</p>{% endif %}
{% if svg %}{{ svg }}{% else %}<p class="zero-results">Nothing to chart: the query gave no
numeric column or no rows.</p>{% endif %}
<p><a href="{{ back_url }}">Back to the query and its rows</a></p>
{% endblock %}"""


def _can_render(columns: list[str], rows: list, table: str | None) -> bool:
    if table is not None or len(columns) < 2 or not rows:
        return False
    _, labels, series = chart_series(columns, rows)
    return bool(labels and series)


async def _render(
    datasette: Any,
    request: Any,
    columns: list[str],
    rows: list,
    query_name: str | None,
    database: str,
) -> Any:
    from datasette.utils.asgi import Response
    from markupsafe import Markup

    title, description = query_name or "Query", ""
    if query_name:
        canned = await datasette.get_canned_query(database, query_name, request.actor)
        if canned:
            title = canned.get("title") or query_name
            description = canned.get("description") or ""
    x_name, labels, series = chart_series(columns, rows)
    svg = svg_chart(x_name, labels, series, title=title) if labels and series else ""
    back = request.path.rsplit(".chart", 1)[0]
    if request.query_string:
        back += "?" + request.query_string
    template = datasette.jinja_env.from_string(PAGE)
    body = await datasette.render_template(
        template,
        {
            "title": title,
            "description": description,
            "svg": Markup(svg),
            "back_url": back,
            "database": database,
        },
        request=request,
    )
    return Response.html(body)


@hookimpl
def register_output_renderer(datasette: Any) -> dict:
    return {"extension": "chart", "render": _render, "can_render": _can_render}
