"""What each `pantau` sub-command does; `cli.py` only parses arguments and maps errors."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from pantau.errors import EXIT_CONFIG, EXIT_LOCKED, EXIT_OK, EXIT_PARTIAL, UsageError
from pantau.lock import LockHeld, RunLock
from pantau.pipeline.archive.upkeep import tidy_archive
from pantau.pipeline.config import ConfigError, PantauConfig, load_config
from pantau.report import print_alert_report, print_run_summary


def dispatch(args: argparse.Namespace, level: int) -> int:
    handler = {
        "run": cmd_run,
        "crawl": cmd_crawl,
        "alerts": cmd_alerts,
        "search": cmd_search,
        "extract": cmd_extract,
        "reextract": cmd_reextract,
        "serve": cmd_serve,
        "demo": cmd_demo,
        "check-config": cmd_check_config,
        "status": cmd_status,
        "worker": cmd_worker,
    }[args.command]
    try:
        return handler(args, level)
    except LockHeld as exc:  # raised only by `with RunLock(args.db):` in a handler
        print(f"pantau: {exc}; try again when it has finished", file=sys.stderr)
        return EXIT_LOCKED


def load(args: argparse.Namespace) -> PantauConfig:
    """Load the config and, from then on, mask its ${ENV} secrets in every log line."""
    from pantau.logs import configure_logging

    config = load_config(args.config_dir)
    level = logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO
    configure_logging(level, args.log_format, mask=config.mask)
    return config


def dump_json(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, default=str)


def crawl_and_report(
    config: PantauConfig, db: str, sources: list[str] | None, full: bool, level: int
) -> int:
    from pantau.runner import FAILED_STATUSES, crawl_sources

    unknown = [s for s in sources or [] if s not in {x.name for x in config.sources}]
    if unknown:
        raise UsageError(f"unknown source(s): {', '.join(unknown)}")
    _, summaries = crawl_sources(
        config, db, sources, full=full, log_level=logging.getLevelName(level)
    )
    print_run_summary(summaries)
    return EXIT_PARTIAL if any(s.status in FAILED_STATUSES for s in summaries) else EXIT_OK


def cmd_run(args: argparse.Namespace, level: int) -> int:
    config = load(args)
    with RunLock(args.db):
        code = crawl_and_report(config, args.db, None, args.full, level)
        from pantau.pipeline.alerts.sender import deliver_due

        report = deliver_due(args.db, config, holds_lock=True)
        print_alert_report(report)
        if report.dead:
            code = EXIT_PARTIAL
        tidy_archive(args.db)
        return code


def cmd_crawl(args: argparse.Namespace, level: int) -> int:
    config = load(args)
    with RunLock(args.db):
        code = crawl_and_report(config, args.db, args.source or None, args.full, level)
        tidy_archive(args.db)
        return code


def cmd_alerts(args: argparse.Namespace, level: int) -> int:
    config = load(args)
    from pantau.pipeline.alerts.outbox import list_alerts
    from pantau.pipeline.alerts.sender import deliver_due, send_test

    if args.alerts_command == "send":
        with RunLock(args.db):
            report = deliver_due(args.db, config, holds_lock=True)
        print_alert_report(report)
        return EXIT_PARTIAL if report.dead else EXIT_OK
    if args.alerts_command == "list":
        rows = list_alerts(args.db, status=args.status)
        if args.format == "json":
            print(dump_json(rows))
        else:
            from pantau.report import print_rows

            cols = [
                "id",
                "subscription",
                "channel",
                "story_id",
                "article_id",
                "kind",
                "status",
                "attempts",
                "created_at",
                "sent_at",
                "last_error",
            ]
            print_rows(cols, rows)
        return EXIT_OK
    if args.alerts_command == "test":
        try:
            config.subscription(args.subscription)
        except KeyError:
            raise UsageError(f"unknown subscription {args.subscription!r}") from None
        try:
            print(send_test(config, args.subscription))
        except Exception as exc:
            print(f"pantau: test message failed: {config.mask(str(exc))}", file=sys.stderr)
            return EXIT_PARTIAL
        return EXIT_OK
    raise UsageError("unknown alerts command")


def cmd_search(args: argparse.Namespace, level: int) -> int:
    from pantau.pipeline.query import QuerySyntaxError
    from pantau.search import print_results, search_archive

    if not Path(args.db).exists():
        raise UsageError(f"no archive at {args.db}")
    synonyms = _search_synonyms(args)
    try:
        rows = search_archive(
            args.db,
            args.query,
            topic=args.topic,
            source=args.source,
            region=args.region,
            since=args.since,
            until=args.until,
            limit=args.limit,
            synonyms=synonyms,
        )
    except QuerySyntaxError as exc:
        raise UsageError(f"bad query: {exc}") from None
    print_results(rows, args.format)
    return EXIT_OK


def _search_synonyms(args: argparse.Namespace) -> list[list[str]]:
    """Search speaks the topics' language: their synonym groups apply (all, or --topic's)."""
    try:
        config = load(args)
    except ConfigError:
        return []  # searching an archive needs no valid config
    topics = [t for t in config.topics if args.topic in (None, t.name)]
    return [group for t in topics for group in t.synonyms]


def cmd_extract(args: argparse.Namespace, level: int) -> int:
    from pantau.extract_cmd import run_extract

    return run_extract(args)


def cmd_reextract(args: argparse.Namespace, level: int) -> int:
    from pantau.reextract import reextract

    config = load(args)
    with RunLock(args.db):
        counts = reextract(args.db, config, source=args.source)
        tidy_archive(args.db)
    print(
        "reextracted {pages} pages: {updated} articles changed, {unchanged} unchanged, "
        "{recovered} rejected pages recovered as articles, {not_articles} not articles, "
        "{errors} errors".format(**counts)
    )
    return EXIT_OK


def cmd_serve(args: argparse.Namespace, level: int) -> int:
    from pantau.serve import serve

    return serve(args.db, host=args.host, port=args.port)


def cmd_demo(args: argparse.Namespace, level: int) -> int:
    from pantau.demo import NotADemoArchive, run_demo

    db = args.demo_db or "./data/demo.db"
    with RunLock(db):  # never wipe an archive a run is writing to
        try:
            return run_demo(db, level)
        except NotADemoArchive as exc:
            raise UsageError(str(exc)) from None


def cmd_check_config(args: argparse.Namespace, level: int) -> int:
    config = load(args)
    out = [f"config directory: {config.directory}", f"sources ({len(config.sources)}):"]
    for s in config.sources:
        flag = "" if s.enabled else " [disabled]"
        out.append(f"  {s.name}: {s.url} template={s.template} region={s.region or '-'}{flag}")
    out.append(f"topics ({len(config.topics)}):")
    for t in config.topics:
        out.append(f"  {t.name}: {t.query}")
    out.append(f"subscriptions ({len(config.subscriptions)}):")
    for sub in config.subscriptions:
        target = sub.url or ", ".join(sub.to)
        out.append(
            f"  {sub.name}: {sub.channel} -> {target} topics={','.join(sub.topics)} "
            f"mode={sub.mode} on_update={sub.on_update}"
        )
    if config.smtp:
        out.append(f"smtp: {config.smtp.host}:{config.smtp.port} from {config.smtp.from_}")
    if config.cluster:
        c = config.cluster
        out.append(
            f"cluster: {c.redis_url} queue={c.queue} dead_worker_after={c.dead_worker_after:g}s "
            f"result_timeout={c.result_timeout:g}s fetch={c.fetch}"
        )
    print(config.mask("\n".join(out)))
    return EXIT_OK


def cmd_worker(args: argparse.Namespace, level: int) -> int:
    from pantau.worker import cmd_worker as run

    return run(args, level)


def cmd_status(args: argparse.Namespace, level: int) -> int:
    from pantau.status import notify, print_status, source_health

    config = load(args)
    notify_to = getattr(args, "notify", None)
    if notify_to is not None and notify_to not in {s.name for s in config.subscriptions}:
        print(f"error: --notify: no subscription named {notify_to!r}", file=sys.stderr)
        return EXIT_CONFIG
    health = source_health(args.db, config, args.runs)
    code = print_status(args.db, config, runs=args.runs, fmt=args.format, health=health)
    if notify_to is None:
        return code
    from pantau.pipeline.alerts.sender import DeliveryError

    try:
        sent = notify(config, notify_to, health)
    except DeliveryError as exc:
        print(f"error: operator alert not delivered: {exc}", file=sys.stderr)
        return EXIT_PARTIAL
    if sent:
        print(sent, file=sys.stderr)
    return code
