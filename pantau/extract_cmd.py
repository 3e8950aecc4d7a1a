"""`pantau extract`: one page through the crawl's own extraction code, no database."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from pantau.cli import EXIT_OK, EXIT_PARTIAL, UsageError


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


def run_extract(args: argparse.Namespace) -> int:
    from pipeline.extract import extract_article

    try:
        body, fetched_url = _read_target(args.target)
    except OSError as exc:
        raise UsageError(f"cannot read {args.target}: {exc}") from None
    url = args.url or fetched_url
    art = extract_article(
        body,
        url,
        fetched_at=datetime.now(UTC),
        template=args.template,
        source_region=args.region,
        explain=args.explain,
    )
    if art is None:
        print("pantau: no article found on this page (not an article, or no body)", file=sys.stderr)
        return EXIT_PARTIAL
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
