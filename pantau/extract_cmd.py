"""`pantau extract`: one page through the crawl's own extraction code, no database."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from pantau.errors import EXIT_OK, EXIT_PARTIAL, UsageError
from pantau.pipeline.models import Rejection


def _read_target(target: str) -> tuple[bytes, str]:
    if target.startswith(("http://", "https://")):
        import httpx

        resp = httpx.get(
            target,
            follow_redirects=True,
            timeout=httpx.Timeout(30.0),
            headers={"User-Agent": "Pantau/0.1 (pantau extract)"},
        )
        resp.raise_for_status()
        return resp.content, str(resp.url)
    path = Path(target)
    if not path.is_file():
        raise UsageError(f"{target}: no such file (or not an http(s) URL)")
    return path.read_bytes(), path.resolve().as_uri()


# Plain words for the measurements a rejection carries (pipeline.models.Rejection.signals);
# a key not named here is shown with its underscores as spaces.
SIGNAL_WORDS = {
    "stage": "decided by",
    "url_rule": "URL rule",
    "template_rule": "template rule",
    "link_density": "link density (share of text in links)",
    "headline_links": "headline links",
    "teaser_links": "same-shaped teaser links",
    "pagination": "pagination",
    "paragraph_run": "longest run of body paragraphs (characters)",
    "longest_paragraph_run": "longest run of body paragraphs (characters)",
    "body_words": "words in the body paragraphs",
    "teaser_groups": "groups of same-shaped teasers",
    "declared_type": "declared page type (og:type, JSON-LD)",
    "template": "template",
    "body_chars": "longest run of body paragraphs (characters)",
    "words": "words in the clean body",
    "word_count": "words",
    "min_words": "fewest words an article needs",
    "declared_types": "declared page types (og:type, JSON-LD)",
}


def _signal_value(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, list | tuple | set):
        return ", ".join(str(v) for v in value) or "none"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def describe_rejection(rejection: Rejection) -> list[str]:
    """The decision and its signals in plain words, one line each (for --explain)."""
    what = (
        "no usable article body"
        if rejection.kind == "not-article"
        else f"{rejection.kind} page, not an article"
    )
    lines = [f"rejected: {what} ({rejection.stage}): {rejection.reason}"]
    for key, value in {"stage": rejection.stage, **rejection.signals}.items():
        label = SIGNAL_WORDS.get(key, key.replace("_", " "))
        lines.append(f"  {label}: {_signal_value(value)}")
    return lines


def run_extract(args: argparse.Namespace) -> int:
    from pantau.pipeline.extract import extract_or_reject

    try:
        body, fetched_url = _read_target(args.target)
    except OSError as exc:
        raise UsageError(f"cannot read {args.target}: {exc}") from None
    url = args.url or fetched_url
    art = extract_or_reject(
        body,
        url,
        fetched_at=datetime.now(UTC),
        template=args.template,
        source_region=args.region,
        explain=args.explain,
    )
    if isinstance(art, Rejection):
        return _report_rejection(art, url, args)
    if args.format == "json":
        obj = art.as_dict()
        if args.explain:
            obj["removed"] = [{"rule": r.rule, "text": r.text} for r in art.removed]
        print(json.dumps(obj, ensure_ascii=False, indent=2))
        return EXIT_OK
    print(f"Title:     {art.title or ''}")
    print(f"URL:       {art.url}")
    print(f"Site:      {art.site_name or ''}")
    print(f"Author:    {art.author or ''}")
    print(f"Published: {art.published_at or ''} ({art.published_at_source or 'unknown'})")
    if art.updated_at:
        print(f"Updated:   {art.updated_at}")
    print(f"Language:  {art.language or ''}   Region: {art.region or ''}")
    print(f"Words:     {art.word_count}")
    print()
    print(art.text)
    if args.explain:
        print("\n--- removed ---")
        for r in art.removed:
            snippet = r.text if len(r.text) <= 160 else r.text[:157] + "..."
            print(f"[{r.rule}] {snippet}")
    return EXIT_OK


def _report_rejection(rejection: Rejection, url: str, args: argparse.Namespace) -> int:
    """A page that gave no article says why, in every format, and exits 1."""
    if args.format == "json":
        obj = {
            "url": url,
            "rejected": True,
            "kind": rejection.kind,
            "reason": rejection.reason,
            "stage": rejection.stage,
            "signals": rejection.signals,
        }
        print(json.dumps(obj, ensure_ascii=False, indent=2, default=str))
    elif args.explain:
        print("\n".join(describe_rejection(rejection)))
    print(
        f"pantau: no article on this page: rejected as {rejection.kind}: {rejection.reason}",
        file=sys.stderr,
    )
    return EXIT_PARTIAL
