"""Printing run summaries and tables: rich tables on a terminal, plain lines under cron."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any


def _interactive() -> bool:
    return sys.stdout.isatty()


def print_rows(columns: Sequence[str], rows: Sequence[dict[str, Any]], title: str = "") -> None:
    if _interactive():
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title or None)
        for c in columns:
            table.add_column(c)
        for r in rows:
            table.add_row(*("" if r.get(c) is None else str(r.get(c)) for c in columns))
        Console().print(table)
        return
    if title:
        print(title)
    print("\t".join(columns))
    for r in rows:
        print("\t".join("" if r.get(c) is None else str(r.get(c)) for c in columns))


def print_run_summary(summaries: Sequence[Any]) -> None:
    """One line (or table row) per source: what the run did there."""
    cols = [
        "source",
        "status",
        "requests",
        "pages",
        "new",
        "updated",
        "matches",
        "errors",
        "blocked",
        "rejected",
        "duration_s",
        "error_summary",
    ]
    rows = [{c: getattr(s, c, 0) for c in cols} for s in summaries]
    for row, s in zip(rows, summaries, strict=True):  # "5 (listing 3, not-article 2)"
        kinds = getattr(s, "rejected_kinds", None) or {}
        detail = ", ".join(f"{k} {n}" for k, n in kinds.items())
        row["rejected"] = f"{row['rejected']}" + (
            f" ({detail})" if detail and row["rejected"] else ""
        )
    if _interactive():
        print_rows(cols, rows, title="crawl summary")
        return
    for r in rows:
        print(
            "source={source} status={status} requests={requests} pages={pages} new={new} "
            "updated={updated} matches={matches} errors={errors} blocked={blocked} "
            "rejected={rejected} duration={duration_s}s".format(**r)
            + (f" problems={r['error_summary']}" if r["error_summary"] else "")
        )
    tot = {
        k: sum(getattr(s, k, 0) for s in summaries)
        for k in ("new", "updated", "matches", "errors", "rejected")
    }
    print(
        f"total: sources={len(summaries)} new={tot['new']} updated={tot['updated']} "
        f"matches={tot['matches']} errors={tot['errors']} rejected={tot['rejected']}"
    )


def print_alert_report(report: Any) -> None:
    print(
        f"alerts: sent={report.sent} failed={report.failed} dead={report.dead} "
        f"skipped={getattr(report, 'skipped', 0)}"
    )
    for err in getattr(report, "errors", [])[:10]:
        print(f"  alert error: {err}")
