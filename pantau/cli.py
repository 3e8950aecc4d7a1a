"""The `pantau` command line (contract: ../shared/spec/interface.md section 2).

Exit codes: 0 done; 1 done but a source failed as a whole or an alert went to dead-letter;
2 usage or config error; 3 another run holds the archive's lock.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from pantau.errors import EXIT_CONFIG, UsageError
from pantau.pipeline.config import ConfigError

DEFAULT_DB = "./data/pantau.db"
DEMO_DB = "./data/demo.db"

MAIN_EPILOG = """\
environment variables:
  PANTAU_CONFIG_DIR       default for --config-dir (else ./config)
  PANTAU_DB               default for --db (else ./data/pantau.db); `demo` ignores it
  PANTAU_LOG_FORMAT       default for --log-format (else text)
  PANTAU_SCRAPY_SETTINGS  JSON object of Scrapy settings to override for a crawl
  PANTAU_REDIS_URL        default for `worker --redis-url` (docs/scaling.md)
  PANTAU_RETRY_BASE_SECONDS, PANTAU_RETRY_CAP_SECONDS, PANTAU_SLACK_INTERVAL, ...
                          alert retry timing (docs/alerts.md)
  ${NAME} in the config   any variable the config files name (webhook URLs, secrets)

exit codes:
  0  done
  1  done, but a source failed as a whole or an alert went to dead-letter
  2  usage or config error (the message names the file, line, entry and field)
  3  another `pantau run`/`crawl` holds the archive's lock

examples:
  pantau run
  PANTAU_DB=/srv/pantau/data/pantau.db pantau -q --log-format json run
"""


def _since(text: str) -> str:
    """argparse type for --since/--until: a date dateparser understands, else exit 2."""
    from pantau.search import parse_since

    try:
        return parse_since(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _templates() -> list[str]:
    """The `template:` values the config accepts (one list, kept with the Source model)."""
    from typing import get_args

    from pantau.pipeline.config import Source

    return list(get_args(Source.model_fields["template"].annotation))


def _command(sub, name: str, help: str, *examples: str):
    """A sub-command whose --help says what it does and ends with examples."""
    epilog = "examples:\n" + "\n".join(f"  {e}" for e in examples)
    return sub.add_parser(
        name,
        help=help,
        description=help[0].upper() + help[1:] + ".",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pantau",
        description="Watch Indonesian regional news for topics and alert on them.",
        epilog=MAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--config-dir",
        default=os.environ.get("PANTAU_CONFIG_DIR", "./config"),
        metavar="DIR",
        help="folder with sources.yaml, topics.yaml, subscriptions.yaml "
        "(env PANTAU_CONFIG_DIR; default ./config)",
    )
    p.add_argument(
        "--db",
        default=None,
        metavar="PATH",
        help="the SQLite archive, created with its folder; keep it on a local disk, not NFS "
        f"(env PANTAU_DB; default {DEFAULT_DB})",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    p.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")
    p.add_argument(
        "--log-format",
        choices=["text", "json"],
        default=os.environ.get("PANTAU_LOG_FORMAT", "text"),
        help="text for people, json (one object a line) for log collectors "
        "(env PANTAU_LOG_FORMAT; default text)",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = _command(
        sub,
        "run",
        "one scheduled run: crawl, store, match, alert",
        "pantau run",
        "pantau -q --log-format json run --full",
    )
    run.add_argument("--full", action="store_true", help="ignore the incremental state")

    crawl = _command(
        sub,
        "crawl",
        "crawl, store, match and queue alerts; send nothing",
        "pantau crawl",
        "pantau crawl --source kalteng-antara --source lampost --full",
    )
    crawl.add_argument(
        "--source",
        action="append",
        default=[],
        metavar="NAME",
        help="crawl only this source (repeat for several; default: every enabled source)",
    )
    crawl.add_argument("--full", action="store_true", help="ignore the incremental state")

    alerts = _command(
        sub,
        "alerts",
        "the alert outbox: send what is due, list it, or send a test message",
        "pantau alerts send",
        "pantau alerts list --status dead --format json",
    )
    asub = alerts.add_subparsers(dest="alerts_command", required=True, metavar="ACTION")
    _command(
        asub,
        "send",
        "send every alert that is due: new, digest due, or retry due",
        "pantau alerts send",
        "pantau -v alerts send",
    )
    al = _command(
        asub,
        "list",
        "list the outbox",
        "pantau alerts list",
        "pantau alerts list --status pending --format json",
    )
    al.add_argument(
        "--status", choices=["pending", "sent", "dead"], help="only alerts in this state"
    )
    al.add_argument(
        "--format", choices=["table", "json"], default="table", help="output (default table)"
    )
    at = _command(
        asub,
        "test",
        "send one clearly marked test message through a subscription",
        "pantau alerts test analis-slack",
    )
    at.add_argument("subscription", help="a subscription name from subscriptions.yaml")

    s = _command(
        sub,
        "search",
        "full-text search of the archive, newest first",
        'pantau search \'"revolusi mental" AND (ASN OR PNS)\' --since "7 hari lalu"',
        "pantau search korupsi --region Lampung --since 2026-01-01 --format csv",
    )
    s.add_argument("query", help='the topic query language: words, "phrases", AND, OR, NOT')
    s.add_argument("--topic", metavar="T", help="only articles that matched this topic")
    s.add_argument("--source", metavar="S", help="only articles from this source")
    s.add_argument("--region", metavar="R", help="only articles whose region contains R")
    dates = '2026-03-01, kemarin, yesterday, "7 hari lalu", "2 weeks ago"'
    s.add_argument(
        "--since", type=_since, metavar="DATE", help=f"published on or after DATE: {dates}"
    )
    s.add_argument("--until", type=_since, metavar="DATE", help="published on or before DATE")
    s.add_argument(
        "--limit", type=int, default=20, metavar="N", help="at most N results (default 20)"
    )
    s.add_argument(
        "--format",
        choices=["table", "csv", "json", "jsonl"],
        default="table",
        help="output (default table)",
    )

    ex = _command(
        sub,
        "extract",
        "extract one page with the crawl's code; no database",
        "pantau extract https://kalteng.antaranews.com/berita/272591/workshop --template antara",
        "pantau extract saved.html --url https://example.go.id/berita/1 --format json --explain",
    )
    ex.add_argument("target", metavar="URL_OR_FILE", help="a page URL, or a saved HTML file")
    ex.add_argument("--url", help="the page's URL when extracting a file")
    ex.add_argument(
        "--format", choices=["text", "json"], default="text", help="output (default text)"
    )
    ex.add_argument(
        "--template",
        default="generic",
        choices=_templates(),
        metavar="NAME",
        help="site family rules: " + ", ".join(_templates()) + " (default generic)",
    )
    ex.add_argument("--region", help="the page's province, as a source's region: gives it")
    ex.add_argument("--explain", action="store_true", help="show what was removed and why")

    rx = _command(
        sub,
        "reextract",
        "re-run extraction over the stored raw HTML",
        "pantau reextract",
        "pantau reextract --source kalteng-antara",
    )
    rx.add_argument("--source", metavar="S", help="only this source's pages (default: all)")

    sv = _command(
        sub,
        "serve",
        "browse the archive in Datasette",
        "pantau serve",
        "pantau --db ./data/demo.db serve --port 8080",
    )
    sv.add_argument("--port", type=int, default=8001, help="TCP port (default 8001)")
    sv.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")

    dm = _command(
        sub,
        "demo",
        "offline end-to-end run against bundled sample sites",
        "pantau demo",
        "pantau demo --db ./data/demo-2.db",
    )
    dm.add_argument(
        "--db",
        dest="demo_db",
        default=None,
        metavar="PATH",
        help=f"the demo archive (default {DEMO_DB}; the global --db works too, "
        "PANTAU_DB is ignored so a demo never writes into the real archive)",
    )

    _command(
        sub,
        "check-config",
        "validate the config directory and print it; every error at once",
        "pantau check-config",
        "pantau --config-dir /etc/pantau check-config",
    )
    st = _command(
        sub,
        "status",
        "per-source health",
        "pantau status",
        "pantau -q status --runs 10 --notify ops-slack",
    )
    st.add_argument(
        "--runs", type=int, default=5, metavar="N", help="judge health on the last N runs (5)"
    )
    st.add_argument(
        "--format", choices=["table", "json"], default="table", help="output (default table)"
    )
    st.add_argument(
        "--notify",
        metavar="SUBSCRIPTION",
        help="when sources are flagged, send one operator alert through this subscription",
    )
    wk = _command(
        sub,
        "worker",
        "fetch and extract for a cluster's coordinator, through Redis (docs/scaling.md)",
        "pantau worker                    # joins the cluster: section of sources.yaml",
        "pantau worker --redis-url redis://10.0.0.5:6379/0 --processes 4",
    )
    wk.add_argument(
        "--redis-url",
        metavar="URL",
        help="the cluster's Redis (env PANTAU_REDIS_URL; default: sources.yaml cluster.redis_url"
        "; with it no config directory is needed)",
    )
    wk.add_argument(
        "--processes",
        type=int,
        default=0,
        metavar="N",
        help="worker processes, one page at a time each (default: one per core)",
    )
    wk.add_argument(
        "--prefetch",
        type=int,
        default=2,
        metavar="N",
        help="pages a process takes ahead from the queue (default 2)",
    )
    wk.add_argument("--queue", metavar="NAME", help="queue name (default: config, pantau-extract)")
    wk.add_argument(
        "--dead-after",
        type=float,
        metavar="S",
        help="seconds without a heartbeat before a worker's pages are requeued (default 60)",
    )
    wk.add_argument(
        "--fetch-threads",
        type=int,
        default=8,
        metavar="N",
        help="requests a process fetches at once for the coordinator (default 8; 0: extract only)",
    )
    return p


def resolve_db(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Fill --db from PANTAU_DB or the default; `demo` takes its own or the global --db."""
    if args.command == "demo":
        if args.demo_db and args.db and args.demo_db != args.db:
            parser.error(f"demo: --db given twice ({args.db}, {args.demo_db}): give it once")
        args.demo_db = args.demo_db or args.db or DEMO_DB
        args.db = args.demo_db
    elif args.db is None:
        args.db = os.environ.get("PANTAU_DB", DEFAULT_DB)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        resolve_db(parser, args)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    level = logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO
    from pantau.logs import configure_logging

    configure_logging(level, args.log_format)
    try:
        from pantau import commands

        return commands.dispatch(args, level)
    except ConfigError as exc:
        for line in str(exc).splitlines():  # ConfigErrors: one line per problem
            print(f"pantau: config error: {line}", file=sys.stderr)
        return EXIT_CONFIG
    except UsageError as exc:
        print(f"pantau: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
