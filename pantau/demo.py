"""`pantau demo`: the whole pipeline offline, against sample sites served on loopback.

It starts the bundled fixture web and a local alert sink, writes a config directory pointing
at them, runs one crawl + alert delivery into `./data/demo.db`, prints what happened, and
stops everything it started before returning.
"""

from __future__ import annotations

import base64
import logging
import secrets
import sqlite3
import tempfile
from importlib import resources
from pathlib import Path

import yaml

from pantau.pipeline.archive import queries
from pantau.pipeline.archive.db import connect
from pantau.pipeline.archive.upkeep import tidy_archive
from pantau.pipeline.config import load_config
from pantau.report import print_alert_report, print_run_summary
from pantau.sink import AlertSink

# The sample sites all live on 127.0.0.1, which Scrapy treats as one polite slot: without this
# the demo would wait a second between every page, as it rightly does for real servers.
LOOPBACK_SETTINGS = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
}


def _demo_config(directory: Path, sources_text: str, sink_url: str, secret: str) -> None:
    (directory / "sources.yaml").write_text(sources_text, encoding="utf-8")
    topics = resources.files("config").joinpath("topics.yaml").read_text(encoding="utf-8")
    (directory / "topics.yaml").write_text(topics, encoding="utf-8")
    subs = {
        "subscriptions": [
            {
                "name": "demo-webhook",
                "topics": ["revolusi-mental-asn"],
                "channel": "webhook",
                "url": f"{sink_url}/hooks/pantau",
                "secret": secret,
                "allow_private_network": True,
            },
            {
                "name": "demo-slack",
                "topics": ["revolusi-mental-asn"],
                "channel": "slack",
                "url": f"{sink_url}/slack",
                "allow_private_network": True,
            },
        ]
    }
    (directory / "subscriptions.yaml").write_text(yaml.safe_dump(subs), encoding="utf-8")


# The row a demo writes into archive_meta: only an archive carrying it may be wiped by a demo.
DEMO_MARK = ("created_by", "pantau demo")


class NotADemoArchive(Exception):
    """--db names an existing file the demo did not create: it is left untouched."""


def is_demo_archive(path: Path) -> bool:
    """True for an SQLite archive whose archive_meta carries DEMO_MARK (read-only check)."""
    try:
        conn = connect(path, readonly=True)
    except sqlite3.Error:
        return False
    try:  # None when not SQLite, or without an archive_meta table
        return queries.meta_value(conn, DEMO_MARK[0]) == DEMO_MARK[1]
    finally:
        conn.close()


def _fresh_demo_archive(db: Path) -> None:
    """Delete the previous demo archive (only a demo's) and start a marked, empty one."""
    if db.exists() and not is_demo_archive(db):
        raise NotADemoArchive(
            f"{db} exists and is not a demo archive: `pantau demo` will not delete it "
            "(choose another --db, or remove the file yourself)"
        )
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)  # each demo starts from an empty archive
    conn = connect(db)
    try:
        queries.set_meta(conn, *DEMO_MARK)
    finally:
        conn.close()


def run_demo(db_path: str, level: int = logging.INFO) -> int:
    """Run the demo into `db_path`; the caller holds the archive's run lock (commands.py)."""
    from pantau.fixtureweb import FixtureWeb, sources_yaml
    from pantau.pipeline.alerts.sender import deliver_due
    from pantau.runner import crawl_sources

    db = Path(db_path)
    db.parent.mkdir(parents=True, exist_ok=True)
    _fresh_demo_archive(db)
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    web = FixtureWeb()
    sink = AlertSink(secret=secret)
    with tempfile.TemporaryDirectory(prefix="pantau-demo-") as tmp:
        try:
            urls = web.start()
            sink.start()
            print(f"Serving {len(urls)} sample sites on loopback:")
            for name, url in sorted(urls.items()):
                print(f"  {name:20s} {url}")
            print(f"Alert sink: {sink.url}\n")
            _demo_config(Path(tmp), sources_yaml(web), sink.url, secret)
            config = load_config(tmp)
            _, summaries = crawl_sources(
                config,
                str(db),
                None,
                log_level=logging.getLevelName(max(level, logging.WARNING)),
                extra_settings=LOOPBACK_SETTINGS,
            )
            print_run_summary(summaries)
            report = deliver_due(str(db), config)
            print_alert_report(report)
            tidy_archive(db)  # as `pantau run` ends
            _print_archive(str(db), sink)
        finally:
            sink.stop()
            web.stop()
    print(f"\nArchive: {db.resolve()}  (browse it: pantau --db {db} serve)")
    return 0


def _print_archive(db_path: str, sink: AlertSink) -> None:
    conn = connect(db_path)
    try:
        n_articles = queries.count_rows(conn, "articles")
        n_stories = queries.count_rows(conn, "stories")
        print(f"\nArchived {n_articles} articles in {n_stories} stories.")
        print("Matched topic 'revolusi-mental-asn':")
        for title, source, published, story in queries.matched_articles(conn):
            print(f"  [story {story}] {title}  ({source}, {published or 'date unknown'})")
    finally:
        conn.close()
    print(f"\nThe local sink received {len(sink.received)} alert message(s):")
    for msg in sink.received:
        body = msg["json"] or {}
        if msg["webhook_id"]:
            art = body.get("data", {}).get("article", {})
            print(f"  webhook {msg['webhook_id']}: {body.get('type')} — {art.get('title')}")
        else:
            print(f"  slack: {str(body.get('text', ''))[:100]}")
    if sink.rejected:
        print(f"  rejected: {sink.rejected}")
