"""`pantau serve`: the archive in Datasette, with Pantau's dashboard, metadata, queries, charts.

Datasette runs in this process (not a `datasette serve` subprocess) so the archive is always
published under the stable name `pantau` (/pantau/articles, /pantau/search?q=...) whatever the
file is called, and the `.chart` output format (pantau/chart.py) is registered without an
installed plugin package. Ctrl-C stops uvicorn gracefully and the command exits 0.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

from pantau.datasette_metadata import DATABASE_NAME, datasette_metadata
from pantau.pipeline.archive.db import connect

log = logging.getLogger(__name__)

SETTINGS = {
    "sql_time_limit_ms": 5000,  # FTS over a big archive with a common word can take a second
    "default_page_size": 50,
    "max_returned_rows": 5000,
    "facet_time_limit_ms": 500,
    "truncate_cells_html": 400,  # article texts are long: show the start, full text on row page
}


def _register_plugins() -> None:
    from datasette.plugins import pm

    from pantau import chart, dashboard

    if pm.get_plugin("pantau.chart") is None:
        pm.register(chart, name="pantau.chart")
    if pm.get_plugin("pantau.dashboard") is None:
        pm.register(dashboard, name="pantau.dashboard")


def build_datasette(db_path: str | Path) -> Any:
    """A ready (startup invoked) Datasette over the archive at `db_path`, named `pantau`."""
    from datasette.app import Datasette
    from datasette.database import Database

    connect(db_path).close()  # creates a missing archive and brings an old one up to date
    _register_plugins()
    ds = Datasette([], metadata=datasette_metadata(), settings=SETTINGS)
    if "_memory" in ds.databases:
        ds.remove_database("_memory")
    ds.add_database(Database(ds, path=str(db_path), is_mutable=True), name=DATABASE_NAME)
    asyncio.run(ds.invoke_startup())
    return ds


def serve(db_path: str | Path, host: str = "127.0.0.1", port: int = 8001) -> int:
    """Serve the archive until Ctrl-C; 0 on a clean stop, 1 if the server could not start."""
    import uvicorn

    ds = build_datasette(db_path)
    config = uvicorn.Config(ds.app(), host=host, port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    shown = f"[{host}]" if ":" in host else host
    print(
        f"Pantau archive {db_path} at http://{shown}:{port}/{DATABASE_NAME} (Ctrl-C to stop)",
        flush=True,
    )
    try:
        server.run()
    except KeyboardInterrupt:
        return 0
    except SystemExit:  # uvicorn exits (code 3) when it cannot bind; 3 means "locked" here
        print(f"pantau: could not serve on {host}:{port}", file=sys.stderr)
        return 1
    if not server.started:
        print(f"pantau: could not serve on {host}:{port}", file=sys.stderr)
        return 1
    return 0
