"""Slack incoming-webhook messages: a plain `text` fallback plus Block Kit `blocks`.

Article titles and snippets are scraped from the open web, so they are escaped before Slack
sees them: `&`, `<`, `>` as entities (no `<!channel>` pings, no forged links) and mrkdwn
control characters replaced by look-alikes, because mrkdwn has no escape for them.
"""

from __future__ import annotations

from typing import Any

from pantau.pipeline.alerts.payload import AlertItem

# Block Kit limits: 50 blocks a message, 3000 characters a section text.
SECTION_LIMIT = 2900
ARTICLES_PER_MESSAGE = 40
_MRKDWN_LOOKALIKES = str.maketrans({"*": "∗", "_": "ˍ", "~": "∼", "`": "ˋ"})


def escape(text: str | None) -> str:
    """Escape scraped text for any Slack field that is parsed as mrkdwn."""
    if not text:
        return ""
    text = " ".join(text.split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.translate(_MRKDWN_LOOKALIKES)


def _safe_url(url: str) -> str:
    """A URL as Slack wants it inside <...>: & as an entity, no raw <, > or |."""
    url = url.replace("&", "&amp;")
    for ch, enc in (("<", "%3C"), (">", "%3E"), ("|", "%7C"), (" ", "%20")):
        url = url.replace(ch, enc)
    return url


def _link(url: str, title: str) -> str:
    return f"<{_safe_url(url)}|{escape(title)}>"


def _date(published_at: str | None) -> str:
    return (published_at or "")[:16].replace("T", " ")


def _meta(item: AlertItem) -> str:
    art = item.article
    parts = [
        art.get("site_name") or art.get("source"),
        art.get("region"),
        _date(art.get("published_at")),
    ]
    return " · ".join(p for p in parts if p)


def pack_sections(lines: list[str]) -> list[str]:
    """Lines joined by newlines into as few section texts as fit SECTION_LIMIT each.

    A line is never split across sections (a cut link would not render); one longer than the
    limit is cut to it.
    """
    sections: list[str] = []
    current = ""
    for line in lines:
        line = line[:SECTION_LIMIT]
        if current and len(current) + 1 + len(line) > SECTION_LIMIT:
            sections.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        sections.append(current)
    return sections


def _label(kind: str) -> str:
    return "Berita diperbarui (updated)" if kind == "updated" else "Berita baru"


def instant_message(item: AlertItem, topics: list[str]) -> dict[str, Any]:
    """One article: header line, title link, source/region/date, snippet."""
    topic = ", ".join(topics)
    prefix = "[updated] " if item.kind == "updated" else ""
    blocks: list[dict[str, Any]] = [
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": f"*Pantau* · {escape(topic)} · {_label(item.kind)}"}
            ],
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{_link(item.url, item.title)}*"}},
    ]
    meta = _meta(item)
    if meta:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape(meta)}]})
    snippet = item.article.get("snippet")
    if snippet:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": escape(snippet)[:SECTION_LIMIT]}}
        )
    if item.also_published_by:
        others = ", ".join(
            _link(o["url"], o.get("source") or o["url"]) for o in item.also_published_by[:10]
        )
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"Juga dimuat: {others}"}]}
        )
    return {
        "text": f"{prefix}{escape(item.title)} <{_safe_url(item.url)}>",
        "blocks": blocks,
        "unfurl_links": False,
        "unfurl_media": False,
    }


def list_messages(
    items: list[AlertItem], topics: list[str], *, digest: bool
) -> list[dict[str, Any]]:
    """Several articles (a digest, or many new stories in one run), one line each.

    Returns one message per ARTICLES_PER_MESSAGE articles; callers treat each as a delivery.
    """
    messages = []
    chunks = [
        items[i : i + ARTICLES_PER_MESSAGE] for i in range(0, len(items), ARTICLES_PER_MESSAGE)
    ]
    for n, chunk in enumerate(chunks, 1):
        messages.append(_list_message(chunk, topics, digest=digest, part=(n, len(chunks))))
    return messages


def _list_message(
    items: list[AlertItem], topics: list[str], *, digest: bool, part: tuple[int, int]
) -> dict[str, Any]:
    topic = escape(", ".join(topics))
    title = f"Ringkasan: {len(items)} berita baru" if digest else f"{len(items)} berita baru"
    if part[1] > 1:
        title += f" ({part[0]}/{part[1]})"
    lines = []
    for it in items:
        mark = " _(updated)_" if it.kind == "updated" else ""
        meta = escape(_meta(it))
        lines.append(f"• {_link(it.url, it.title)}{mark}" + (f" — {meta}" if meta else ""))
    sections = pack_sections(lines)
    blocks: list[dict[str, Any]] = [
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": f"*Pantau* · {topic} · {title}"}],
        }
    ]
    blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": s}} for s in sections]
    fallback = f"[Pantau] {topic}: {title}\n" + "\n".join(
        f"{escape(it.title)} <{_safe_url(it.url)}>" for it in items
    )
    return {"text": fallback, "blocks": blocks, "unfurl_links": False, "unfurl_media": False}


def test_message(subscription: str, topics: list[str]) -> dict[str, Any]:
    text = f"[TEST] Pantau: pesan uji untuk langganan {escape(subscription)} ({escape(', '.join(topics))})"
    return {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}


def operator_message(sources: list[dict[str, Any]]) -> dict[str, Any]:
    """Operator alert: one line per unhealthy source (`pantau status --notify`)."""
    title = f"[Pantau] operator: {len(sources)} sumber bermasalah"
    lines = [f"• *{escape(s['source'])}*: {escape('; '.join(s['reasons']))}" for s in sources]
    sections = pack_sections(lines)
    blocks: list[dict[str, Any]] = [
        {"type": "context", "elements": [{"type": "mrkdwn", "text": escape(title)}]}
    ]
    blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": s}} for s in sections[:45]]
    fallback = (
        title
        + "\n"
        + "\n".join(f"{escape(s['source'])}: {escape('; '.join(s['reasons']))}" for s in sources)
    )
    return {"text": fallback, "blocks": blocks, "unfurl_links": False, "unfurl_media": False}
