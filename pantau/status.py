"""`pantau status`: is every source still being crawled well?

Sites change templates, start blocking, or drop their feeds without any error surfacing: the
crawl still "succeeds" but yields fewer articles, or articles without dates. This reads the
per-run counts in `crawl_runs` and the incremental state in `articles`/`pages`, and flags a
source whose last run's yield or date rate fell below half its usual level, whose last run
rejected most of its article candidates (a changed template shows on its first run, not three
runs later), or that failed or was blocked several runs in a row. `source_health()` is the
pure part (also for an operator alert); `print_status()` is the command.
"""

from __future__ import annotations

import json
import sqlite3
import statistics
import sys
from pathlib import Path
from typing import Any

from pantau.pipeline.archive import queries
from pantau.pipeline.archive.db import connect
from pantau.pipeline.config import PantauConfig

FAILED_STATUSES = ("failed", "blocked")
FAILURE_STREAK = 3  # this many failed/blocked runs in a row flags a source
DRIFT_FACTOR = 0.5  # last run's rate below this share of the earlier median flags a source
MIN_SAMPLE = 3  # fewest article pages (or articles) a run needs for its rate to count
MIN_HISTORY = 3  # fewest earlier runs with a rate before drift is judged
HISTORY = 20  # earlier runs the median is taken over
MOSTLY_REJECTED_MIN = 3  # fewest article candidates a run needs before "mostly rejected" counts


def _connect_ro(db_path: str | Path) -> sqlite3.Connection | None:
    """A read-only connection, or None without an archive: status must never block a crawl."""
    path = Path(db_path)
    if not path.exists():
        return None
    return connect(path, readonly=True, busy_s=10, named_rows=True)


def _run_rates(run: dict) -> tuple[float | None, float | None]:
    """(yield, date rate) of one run, or None where the sample is too small to mean anything.

    yield = article pages that gave an article / all candidate article pages;
    date rate = articles with a publication date / articles extracted.
    """
    new_or_changed = int(run.get("articles_new") or 0) + int(run.get("articles_updated") or 0)
    with_date = int(run.get("with_date") or 0)
    seen = run.get("articles_seen")
    # Without an explicit count of extracted articles (unchanged re-fetches are not counted
    # in crawl_runs yet) the best lower bound is new + updated, and with_date cannot exceed it.
    extracted = int(seen) if seen is not None else max(new_or_changed, with_date)
    candidates = extracted + int(run.get("not_articles") or 0)
    yield_rate = extracted / candidates if candidates >= MIN_SAMPLE else None
    date_rate = with_date / extracted if extracted >= MIN_SAMPLE else None
    return yield_rate, date_rate


def _rejected(run: dict) -> int:
    """Article candidates the run rejected (`not_articles` on rows from before `rejected`)."""
    value = run.get("rejected")
    return int(value if value is not None else run.get("not_articles") or 0)


def _rejection_share(run: dict) -> tuple[int, int]:
    """(rejected, article candidates) of one run: the candidates gave an article or not."""
    new_or_changed = int(run.get("articles_new") or 0) + int(run.get("articles_updated") or 0)
    seen = run.get("articles_seen")
    extracted = (
        int(seen) if seen is not None else max(new_or_changed, int(run.get("with_date") or 0))
    )
    rejected = _rejected(run)
    return rejected, extracted + rejected


def _rejected_kinds(run: dict) -> dict[str, int]:
    try:
        kinds = json.loads(run.get("rejected_kinds") or "{}")
    except (TypeError, ValueError):
        return {}
    return kinds if isinstance(kinds, dict) else {}


def _drift(last: float | None, earlier: list[float | None]) -> tuple[bool, float | None]:
    values = [v for v in earlier if v is not None]
    if last is None or len(values) < MIN_HISTORY:
        return False, (statistics.median(values) if values else None)
    median = statistics.median(values)
    return median > 0 and last < DRIFT_FACTOR * median, median


def _source_names(conn: sqlite3.Connection | None, config: PantauConfig | None) -> list[str]:
    names = [s.name for s in config.sources] if config else []
    if conn is not None:
        names += [n for n in queries.source_names(conn) if n not in names]
    return names


def _runs(conn: sqlite3.Connection, source: str) -> list[dict]:
    """Every run of a source, newest first; a 'running' row that a later run followed is a
    crawl that died without closing its row, so it counts as failed."""
    rows = queries.runs_of_source(conn, source)
    for n, r in enumerate(rows):
        if r.get("status") == "running" and n > 0:
            r["status"] = "failed"
            r["error_summary"] = r.get("error_summary") or "run never finished"
    return rows


def _health_of(
    source: str, runs: list[dict], recent_n: int, state: dict, enabled: bool, region: str | None
) -> dict[str, Any]:
    finished = [r for r in runs if r.get("status") != "running"]
    recent = finished[:recent_n]
    last = finished[0] if finished else None
    last_ok = next((r for r in finished if r.get("status") not in FAILED_STATUSES), None)
    streak = 0
    for r in finished:
        if r.get("status") not in FAILED_STATUSES:
            break
        streak += 1
    rates = [_run_rates(r) for r in finished[: HISTORY + 1]]
    yield_last, date_last = rates[0] if rates else (None, None)
    yield_drift, yield_median = _drift(yield_last, [y for y, _ in rates[1:]])
    date_drift, date_median = _drift(date_last, [d for _, d in rates[1:]])

    def total(col: str) -> int:
        return sum(int(r.get(col) or 0) for r in recent)

    rejected_last, candidates_last = _rejection_share(last) if last else (0, 0)
    flags: list[str] = []
    if enabled:
        # judged on the last run alone: a changed template rejects every page from its first run
        if candidates_last >= MOSTLY_REJECTED_MIN and rejected_last * 2 > candidates_last:
            flags.append(
                f"most article pages rejected on the last run ({rejected_last} of "
                f"{candidates_last}): template changed?"
            )
        if streak >= FAILURE_STREAK:
            kinds = {r.get("status") for r in finished[:streak]}
            what = "/".join(sorted(kinds))
            why = (last or {}).get("error_summary") or ""
            flags.append(
                f"{streak} {what} runs in a row" + (f" (last error: {why})" if why else "")
            )
        if yield_drift:
            flags.append(
                f"article yield dropped: {yield_last:.0%} of article pages gave an article in "
                f"the last run, median {yield_median:.0%} before"
            )
        if date_drift:
            flags.append(
                f"date rate dropped: {date_last:.0%} of articles had a date in the last run, "
                f"median {date_median:.0%} before"
            )
    return {
        "source": source,
        "region": region,
        "enabled": enabled,
        "runs": len(finished),
        "running": bool(runs and runs[0].get("status") == "running"),
        "last_run_at": (last or {}).get("started_at"),
        "last_status": (last or {}).get("status"),
        "last_ok_at": (last_ok or {}).get("finished_at") or (last_ok or {}).get("started_at"),
        "last_error": (last or {}).get("error_summary") or None,
        "recent_runs": len(recent),
        "new_articles": total("articles_new"),
        "updated_articles": total("articles_updated"),
        "pages": total("pages"),
        "not_articles": total("not_articles"),
        "rejected": sum(_rejected(r) for r in recent),
        "rejected_last": rejected_last,
        "candidates_last": candidates_last,
        "rejected_kinds_last": _rejected_kinds(last) if last else {},
        "errors": total("errors"),
        "blocked": total("blocked"),
        "consecutive_failures": streak,
        "yield_last": yield_last,
        "yield_median": yield_median,
        "date_rate_last": date_last,
        "date_rate_median": date_median,
        **state,
        "flags": flags,
        "flagged": bool(flags),
    }


def source_health(
    db_path: str | Path, config: PantauConfig | None, runs: int = 5
) -> list[dict[str, Any]]:
    """One dict per source (configured ones first): recent activity, rates, state and flags.

    `runs` is how many recent finished runs the totals (new articles, blocks, ...) cover; drift
    compares the last run with the median of up to HISTORY runs before it.
    """
    conn = _connect_ro(db_path)
    configured = {s.name: s for s in config.sources} if config else {}
    out: list[dict[str, Any]] = []
    try:
        has_runs = conn is not None and bool(queries.table_columns(conn, "crawl_runs"))
        stored: dict[str, tuple[str | None, bool]] = {}
        if conn is not None:
            for name, region, on in queries.stored_sources(conn):
                stored[name] = (region, on is None or bool(on))
        for name in _source_names(conn, config):
            src = configured.get(name)
            region, on = stored.get(name, (None, True))
            # A source no longer in the config is not crawled: show it, never flag it.
            enabled = src.enabled if src else (on if config is None else False)
            region = src.region if src else region
            run_rows = _runs(conn, name) if has_runs else []
            state = queries.source_state(conn, name) if conn is not None else {}
            out.append(_health_of(name, run_rows, max(1, runs), state, enabled, region))
    finally:
        if conn is not None:
            conn.close()
    return out


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{v:.0%}"


def _short_time(v: str | None) -> str:
    return (v or "never").replace("T", " ")[:16]


def print_status(
    db_path: str | Path,
    config: PantauConfig | None,
    runs: int = 5,
    fmt: str = "table",
    health: list[dict[str, Any]] | None = None,
) -> int:
    """Print per-source health (fmt "table" or "json"); 1 when any source is flagged, else 0.

    `health` is source_health()'s result when the caller already has it (for --notify).
    """
    if health is None:
        health = source_health(db_path, config, runs)
    if not Path(db_path).exists():
        print(f"no archive at {db_path} yet: nothing has been crawled", file=sys.stderr)
    if fmt == "json":
        print(json.dumps(health, ensure_ascii=False, indent=2))
    elif sys.stdout.isatty():
        _print_table(health, runs)
    else:
        _print_plain(health, runs)
    if fmt != "json":
        for h in health:
            for g in h.get("gave_up_recent") or []:
                print(f"GAVE UP {h['source']}: {g['url']}: {g['reason']}")
    if config is not None and config.cluster is not None and fmt != "json":
        from pantau.cluster import print_cluster_status

        print_cluster_status(config.cluster)
    return 1 if any(h["flagged"] for h in health) else 0


def flagged_sources(health: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What an operator alert lists: each flagged source with its reasons."""
    return [
        {"source": h["source"], "region": h.get("region"), "reasons": list(h["flags"])}
        for h in health
        if h["flagged"]
    ]


def notify(config: PantauConfig, subscription: str, health: list[dict[str, Any]]) -> str | None:
    """Send ONE operator alert listing the flagged sources; None (nothing sent) when all is well.

    Raises pipeline.alerts.sender.DeliveryError when the message is not accepted.
    """
    from pantau.pipeline.alerts.sender import send_operator

    flagged = flagged_sources(health)
    if not flagged:
        return None
    return send_operator(config, subscription, flagged)


def _print_table(health: list[dict], runs: int) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"source health (totals over the last {runs} runs)")
    for col in (
        "source",
        "last ok",
        "last run",
        "new",
        "yield last/median",
        "dates last/median",
        "rejected last",
        "blocked",
        "fails in a row",
        "known URLs",
        "feeds (validated)",
        "flags",
    ):
        table.add_column(col, overflow="fold")
    for h in health:
        style = "red" if h["flagged"] else None if h["enabled"] else "dim"
        table.add_row(
            h["source"] + ("" if h["enabled"] else " (disabled)"),
            _short_time(h["last_ok_at"]),
            f"{_short_time(h['last_run_at'])} {h['last_status'] or ''}".strip(),
            str(h["new_articles"]),
            f"{_pct(h['yield_last'])} / {_pct(h['yield_median'])}",
            f"{_pct(h['date_rate_last'])} / {_pct(h['date_rate_median'])}",
            _rejected_cell(h),
            str(h["blocked"]),
            str(h["consecutive_failures"]),
            str(h.get("known_urls", 0)),
            f"{h.get('feeds', 0)} ({h.get('feeds_with_validators', 0)})",
            "; ".join(h["flags"]),
            style=style,
        )
    Console().print(table)


def _rejected_cell(h: dict) -> str:
    """'5 of 6 (listing 3, not-article 2)': the last run's rejected article candidates."""
    if not h.get("candidates_last"):
        return "-"
    kinds = ", ".join(f"{k} {n}" for k, n in (h.get("rejected_kinds_last") or {}).items())
    return f"{h['rejected_last']} of {h['candidates_last']}" + (f" ({kinds})" if kinds else "")


def _print_plain(health: list[dict], runs: int) -> None:
    for h in health:
        print(
            f"source={h['source']} enabled={int(h['enabled'])} runs={h['runs']} "
            f"last_run={h['last_run_at'] or '-'} last_status={h['last_status'] or '-'} "
            f"last_ok={h['last_ok_at'] or '-'} new_last_{runs}_runs={h['new_articles']} "
            f"yield={_pct(h['yield_last'])} yield_median={_pct(h['yield_median'])} "
            f"dates={_pct(h['date_rate_last'])} dates_median={_pct(h['date_rate_median'])} "
            f"rejected_last={h.get('rejected_last', 0)} "
            f"candidates_last={h.get('candidates_last', 0)} rejected_last_{runs}_runs="
            f"{h.get('rejected', 0)} "
            f"blocked={h['blocked']} errors={h['errors']} "
            f"consecutive_failures={h['consecutive_failures']} "
            f"known_urls={h.get('known_urls', 0)} feeds={h.get('feeds', 0)} "
            f"feeds_validated={h.get('feeds_with_validators', 0)} "
            f"owed_urls={h.get('owed_urls', 0)} gave_up_urls={h.get('gave_up_urls', 0)}"
        )
    flagged = [h for h in health if h["flagged"]]
    for h in flagged:
        for flag in h["flags"]:
            print(f"FLAG {h['source']}: {flag}")
    print(f"sources={len(health)} flagged={len(flagged)}")
