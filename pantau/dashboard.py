"""The analyst's dashboard of `pantau serve`: a datasette-dashboards config over the archive.

Why datasette-dashboards: it declares Vega-Lite charts, metrics, tables and filters in Datasette
metadata and ships vega, vega-lite and vega-embed inside its wheel, served by Datasette itself,
so the dashboard works with no network (docs/dashboard.md). This module only builds that config
(pure: the SQL and the chart specs) and, as a small Datasette plugin, sends `/` to the dashboard.

Every chart reads one set of rows, the *hits*: one row per matched article and topic, narrowed by
the filters (topic, date range, province, source). Counts are stories (`count(distinct
story_id)`: one news event, all its copies), a story dated by its earliest matched copy.
"""

from __future__ import annotations

from typing import Any

from datasette import hookimpl

DATABASE = "pantau"  # pantau.datasette_metadata.DATABASE_NAME (not imported: it imports us)
SLUG = "coverage"
DASHBOARD_PATH = f"/-/dashboards/{SLUG}"
FILTERS = ("topic", "date_start", "date_end", "province", "source")

# Up to this many days between the first and last day shown the line is daily, then weekly
# (Monday-based weeks) up to WEEKLY_MAX_DAYS, then monthly: about 15 to 160 points a line.
DAILY_MAX_DAYS = 92
WEEKLY_MAX_DAYS = 3 * 366
LATEST_LIMIT = 50
# counts are whole: no "0.5 stories" label on an axis of small numbers
COUNT_AXIS = {"tickMinStep": 1, "labelExpr": "datum.value % 1 ? '' : format(datum.value, 'd')"}

# vega-embed options, read from the spec's usermeta: SVG (the marks are in the DOM, the browser
# test reads them) and no "open in the Vega editor" action (it points to a web site).
EMBED = {
    "renderer": "svg",
    "actions": {"export": True, "source": True, "compiled": False, "editor": False},
}


def province_sql(col: str) -> str:
    """SQL for the province of a region value: "Kab. Bandung Barat, Jawa Barat" -> "Jawa Barat".

    articles.region is a province or "Kab. X, Province" (docs/schema.md): the part after the last
    comma. rtrim() strips every non-comma character from the right, leaving the prefix up to the
    last comma; a value without a comma comes back whole. Empty or NULL gives '(unknown)'.
    """
    tail = f"replace({col}, rtrim({col}, replace({col}, ',', '')), '')"
    return f"coalesce(nullif(trim({tail}), ''), '(unknown)')"


DAY_SQL = "substr(coalesce(a.published_at, a.first_seen_at), 1, 10)"  # the newsroom's own day

HITS_CTE = f"""hits as (
  select m.topic, m.article_id, a.story_id, a.source, {province_sql("a.region")} as province,
    {DAY_SQL} as day
  from matches m
  join articles a on a.id = m.article_id
  where (:topic = '' or m.topic = :topic)
    and (:source = '' or a.source = :source)
    and (:province = '' or {province_sql("a.region")} = :province)
    and (:date_start = '' or {DAY_SQL} >= :date_start)
    and (:date_end = '' or {DAY_SQL} <= :date_end)
)"""


def _with(*ctes: str) -> str:
    return "with " + ",\n".join((HITS_CTE, *ctes)) + "\n"


def html_sql(expr: str) -> str:
    """SQL that HTML-escapes `expr`: the table card puts cell values into innerHTML, and titles
    and snippets come from crawled pages."""
    out = f"coalesce({expr}, '')"
    for raw, ent in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;")):
        out = f"replace({out}, '{raw}', '{ent}')"
    return out


def _bucket(day: str) -> str:
    return (
        f"case grain when 'day' then {day} when 'week' then date({day}, '-6 days', 'weekday 1') "
        f"else date({day}, 'start of month') end"
    )


def _step(period: str) -> str:
    return (
        f"case grain when 'day' then date({period}, '+1 day') "
        f"when 'week' then date({period}, '+7 days') else date({period}, '+1 month') end"
    )


METRICS: dict[str, tuple[str, str]] = {
    "stories": ("Matched stories", "select count(distinct story_id) as n from hits"),
    "articles": (
        "Matched articles (all copies)",
        "select count(distinct article_id) as n from hits",
    ),
    "sources": ("Sources that carried them", "select count(distinct source) as n from hits"),
    "alerts_owed": (
        "Alerts owed (pending)",
        "select count(*) as n from alerts where status = 'pending' "
        "and story_id in (select story_id from hits)",
    ),
}

OVER_TIME_SQL = (
    _with(
        """story_day as (
  select topic, story_id, min(day) as day from hits where date(day) is not null
  group by topic, story_id
)""",
        f"""span as (
  select coalesce(nullif(:date_start, ''), min(day)) as lo,
    coalesce(nullif(:date_end, ''), max(day)) as hi,
    case when julianday(coalesce(nullif(:date_end, ''), max(day)))
              - julianday(coalesce(nullif(:date_start, ''), min(day))) <= {DAILY_MAX_DAYS}
           then 'day'
         when julianday(coalesce(nullif(:date_end, ''), max(day)))
              - julianday(coalesce(nullif(:date_start, ''), min(day))) <= {WEEKLY_MAX_DAYS}
           then 'week'
         else 'month' end as grain
  from story_day
)""",
        f"""calendar(period, n) as (
  select {_bucket("lo")}, 0 from span where date(lo) is not null and date(hi) is not null
  union all
  select {_step("period")}, n + 1 from calendar, span
  where {_step("period")} <= {_bucket("hi")} and n < 5000
)""",
        f"""bucketed as (
  select s.topic, s.story_id, {_bucket("s.day")} as period from story_day s, span
)""",
    )
    + """select c.period, t.topic, count(b.story_id) as stories, span.grain
from calendar c
cross join (select distinct topic from story_day) t
cross join span
left join bucketed b on b.period = c.period and b.topic = t.topic
group by c.period, t.topic
order by c.period, t.topic"""
)

PROVINCES_SQL = (
    _with()
    + """select province, count(distinct story_id) as stories
from hits group by province order by stories desc, province limit 40"""
)

SOURCES_SQL = (
    _with()
    + """select source, count(distinct story_id) as stories,
  count(distinct article_id) as articles
from hits group by source order by stories desc, articles desc, source limit 30"""
)

# the matched passage of the story's first matched copy (the chosen topic's when filtered), on
# one line
_SNIPPET = """replace((select m.snippet from matches m where m.article_id = p.article_id
  order by (m.topic = :topic) desc, m.topic limit 1), char(10), ' ')"""
_URL_OK = "(a.url like 'http://%' or a.url like 'https://%')"
LATEST_SQL = (
    _with(
        """per_story as (
  select story_id, min(article_id) as article_id, min(day) as day,
    group_concat(distinct topic) as topics
  from hits group by story_id
)""",
        f"""latest as (
  select
    case when {_URL_OK} then '<a href="' || {html_sql("a.url")} || '">' || {html_sql("a.title")}
      || '</a>' else {html_sql("a.title")} end as story,
    {html_sql("a.source")} as source,
    p.day as date,
    {html_sql("p.topics")} as topics,
    {html_sql(_SNIPPET)} as snippet,
    '<a href="/{DATABASE}/story_copies?story_id=' || p.story_id || '">'
      || s.article_count || case when s.article_count = 1 then ' copy' else ' copies' end
      || '</a>' as copies
  from per_story p
  join articles a on a.id = p.article_id
  join stories s on s.id = p.story_id
  order by p.day desc, p.story_id desc
  limit {LATEST_LIMIT}
)""",
    )
    + """select * from latest
union all
select 'No matched stories for these filters', '', '', '', '', ''
where not exists (select 1 from latest)"""
)


# Datasette's own index page gives way to the dashboard at `/`: its links live on here.
MORE_MARKDOWN = (
    f"**More:** [search the archive](/{DATABASE}/search) · "
    f"[new stories this week](/{DATABASE}/new_stories_this_week?topic=) · "
    f"[stories per region per month](/{DATABASE}/stories_per_region_per_month?topic=) · "
    f"[articles per source](/{DATABASE}/articles_per_source) · "
    f"[alert outbox](/{DATABASE}/alert_outbox) · "
    f"[rejected pages](/{DATABASE}/rejected_pages?source=) · "
    f"[cluster workers](/{DATABASE}/cluster) · "
    f"[every table and query](/{DATABASE})"
)


def _vega_lite(mark: dict[str, Any], encoding: dict[str, Any]) -> dict[str, Any]:
    return {"mark": mark, "encoding": encoding, "usermeta": {"embedOptions": EMBED}}


def _ranked_bar(field: str, title: str) -> dict[str, Any]:
    return _vega_lite(
        {"type": "bar", "tooltip": True},
        {
            "y": {"field": field, "type": "nominal", "sort": "-x", "title": None},
            "x": {"field": "stories", "type": "quantitative", "title": title, "axis": COUNT_AXIS},
        },
    )


def dashboard_config() -> dict[str, Any]:
    """The `datasette-dashboards` plugin config: one dashboard, `coverage`."""
    charts: dict[str, Any] = {
        slug: {
            "title": title,
            "db": DATABASE,
            "query": _with() + sql,
            "library": "metric",
            "display": {"field": "n"},
        }
        for slug, (title, sql) in METRICS.items()
    }
    charts["over_time"] = {
        "title": "Matched stories over time, per topic (daily, weekly or monthly by range)",
        "db": DATABASE,
        "query": OVER_TIME_SQL,
        "library": "vega-lite",
        "display": _vega_lite(
            {"type": "line", "point": True, "tooltip": True},
            {
                "x": {
                    "field": "period",
                    "type": "temporal",
                    "scale": {"type": "utc"},  # periods are calendar days, not instants
                    "title": None,
                },
                "y": {
                    "field": "stories",
                    "type": "quantitative",
                    "title": "stories",
                    "axis": COUNT_AXIS,
                },
                "color": {"field": "topic", "type": "nominal", "legend": {"orient": "bottom"}},
            },
        ),
    }
    charts["provinces"] = {
        "title": "Matched stories by province",
        "db": DATABASE,
        "query": PROVINCES_SQL,
        "library": "vega-lite",
        "display": _ranked_bar("province", "stories"),
    }
    charts["by_source"] = {
        "title": "Sources that carried them",
        "db": DATABASE,
        "query": SOURCES_SQL,
        "library": "vega-lite",
        "display": _ranked_bar("source", "stories"),
    }
    charts["latest"] = {
        "title": f"Latest matched stories (newest {LATEST_LIMIT})",
        "db": DATABASE,
        "query": LATEST_SQL,
        "library": "table",
    }
    charts["more"] = {"title": "More", "library": "markdown", "display": MORE_MARKDOWN}
    filters: dict[str, Any] = {
        "topic": {
            "name": "Topic",
            "type": "select",
            "db": DATABASE,
            "query": "select distinct topic from matches order by topic",
        },
        "date_start": {"name": "From (publication day)", "type": "date"},
        "date_end": {"name": "To", "type": "date"},
        "province": {
            "name": "Province",
            "type": "select",
            "db": DATABASE,
            "query": f"select distinct {province_sql('a.region')} as p from articles a "
            "where a.id in (select article_id from matches) order by p",
        },
        "source": {
            "name": "Source",
            "type": "select",
            "db": DATABASE,
            "query": "select distinct a.source from articles a "
            "where a.id in (select article_id from matches) order by a.source",
        },
    }
    wide = ["over_time"] * 4
    return {
        SLUG: {
            "title": "Pantau: matched news coverage",
            "description": (
                "Stories matching the topics in topics.yaml: when, where and who carried them. "
                "A story is one news event with all its copies, dated by its earliest matched "
                "copy's publication day. Leave a filter empty for all."
            ),
            "layout": [
                ["stories", "articles", "sources", "alerts_owed"],
                wide,
                ["provinces", "provinces", "by_source", "by_source"],
                ["latest"] * 4,
                ["more"] * 4,
            ],
            "filters": filters,
            "charts": charts,
        }
    }


async def _to_dashboard(request: Any) -> Any:
    from datasette.utils.asgi import Response

    return Response.redirect(DASHBOARD_PATH)


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    """`/` is the dashboard; Datasette's own index page stays at /pantau and /.json."""
    return [(r"^/$", _to_dashboard)]
