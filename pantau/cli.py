"""The `pantau` command line (contract: ../shared/spec/interface.md section 2).

Exit codes: 0 done; 1 done but a source failed as a whole or an alert went to dead-letter;
2 usage or config error; 3 another run holds the archive's lock.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from pipeline.config import ConfigError, PantauConfig, load_config

EXIT_OK, EXIT_PARTIAL, EXIT_CONFIG, EXIT_LOCKED = 0, 1, 2, 3
log = logging.getLogger("pantau")


class UsageError(Exception):
    """Bad arguments: exit 2 with the message."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pantau", description="Watch Indonesian regional news for topics and alert on them."
    )
    p.add_argument("--config-dir", default=os.environ.get("PANTAU_CONFIG_DIR", "./config"))
    p.add_argument("--db", default=os.environ.get("PANTAU_DB", "./data/pantau.db"))
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    p.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")
    p.add_argument(
        "--log-format",
        choices=["text", "json"],
        default=os.environ.get("PANTAU_LOG_FORMAT", "text"),
    )
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="one scheduled run: crawl, store, match, alert")
    run.add_argument("--full", action="store_true", help="ignore the incremental state")

    crawl = sub.add_parser("crawl", help="crawl, store, match and queue alerts; send nothing")
    crawl.add_argument("--source", action="append", default=[], metavar="NAME")
    crawl.add_argument("--full", action="store_true")

    alerts = sub.add_parser("alerts", help="the alert outbox")
    asub = alerts.add_subparsers(dest="alerts_command", required=True)
    asub.add_parser("send", help="send every alert that is due")
    al = asub.add_parser("list", help="list the outbox")
    al.add_argument("--status", choices=["pending", "sent", "dead"])
    al.add_argument("--format", choices=["table", "json"], default="table")
    at = asub.add_parser("test", help="send one test message through a subscription")
    at.add_argument("subscription")

    s = sub.add_parser("search", help="full-text search of the archive, newest first")
    s.add_argument("query")
    s.add_argument("--topic")
    s.add_argument("--source")
    s.add_argument("--region")
    s.add_argument("--since")
    s.add_argument("--until")
    s.add_argument("--limit", type=int, default=20)
    s.add_argument("--format", choices=["table", "csv", "json", "jsonl"], default="table")

    ex = sub.add_parser("extract", help="extract one page; no database")
    ex.add_argument("target", metavar="URL_OR_FILE")
    ex.add_argument("--url", help="the page's URL when extracting a file")
    ex.add_argument("--format", choices=["text", "json"], default="text")
    ex.add_argument("--template", default="generic")
    ex.add_argument("--region")
    ex.add_argument("--explain", action="store_true", help="show what was removed and why")

    rx = sub.add_parser("reextract", help="re-run extraction over the stored raw HTML")
    rx.add_argument("--source")

    sv = sub.add_parser("serve", help="browse the archive in Datasette")
    sv.add_argument("--port", type=int, default=8001)
    sv.add_argument("--host", default="127.0.0.1")

    dm = sub.add_parser("demo", help="offline end-to-end run against bundled sample sites")
    dm.add_argument("--db", dest="demo_db", default=None)

    sub.add_parser("check-config", help="validate the config directory and print it")
    st = sub.add_parser("status", help="per-source health")
    st.add_argument("--runs", type=int, default=5)
    st.add_argument("--format", choices=["table", "json"], default="table")
    st.add_argument(
        "--notify",
        metavar="SUBSCRIPTION",
        help="when sources are flagged, send one operator alert through this subscription",
    )
    return p


def load(args: argparse.Namespace) -> PantauConfig:
    """Load the config and, from then on, mask its ${ENV} secrets in every log line."""
    from pantau.logs import configure_logging

    config = load_config(args.config_dir)
    level = logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO
    configure_logging(level, args.log_format, mask=config.mask)
    return config


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    level = logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO
    from pantau.logs import configure_logging

    configure_logging(level, args.log_format)
    try:
        from pantau import commands

        return commands.dispatch(args, level)
    except ConfigError as exc:
        print(f"pantau: config error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except UsageError as exc:
        print(f"pantau: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130


def dump_json(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, default=str)


def db_path(args: argparse.Namespace) -> str:
    return str(Path(args.db))


if __name__ == "__main__":
    sys.exit(main())
