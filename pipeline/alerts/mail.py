"""Email alerts: multipart/alternative (plain text and HTML), sent with smtplib.

Subjects follow the spec: `[Pantau] <topic>: <title>` for one article and
`[Pantau] <topic>: N berita baru` for a digest. Every article URL is in both parts, and every
scraped string is HTML-escaped in the HTML part.
"""

from __future__ import annotations

import html
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from pantau.pipeline.alerts.payload import AlertItem
from pantau.pipeline.config import Smtp


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _topic(topics: list[str]) -> str:
    return ", ".join(topics) or "pantau"


def subject_instant(item: AlertItem, topics: list[str]) -> str:
    prefix = "[updated] " if item.kind == "updated" else ""
    return _one_line(f"[Pantau] {_topic(topics)}: {prefix}{item.title}")[:250]


def subject_list(n: int, topics: list[str]) -> str:
    return _one_line(f"[Pantau] {_topic(topics)}: {n} berita baru")


def _meta(item: AlertItem) -> str:
    art = item.article
    parts = [
        art.get("site_name") or art.get("source"),
        art.get("region"),
        (art.get("published_at") or "")[:16].replace("T", " "),
        art.get("author"),
    ]
    return " · ".join(_one_line(p) for p in parts if p)


def _text_block(item: AlertItem) -> str:
    lines = []
    if item.kind == "updated":
        lines.append("(updated / diperbarui)")
    lines.append(_one_line(item.title))
    lines.append(item.url)
    meta = _meta(item)
    if meta:
        lines.append(meta)
    snippet = _one_line(item.article.get("snippet"))
    if snippet:
        lines.append(snippet)
    if item.also_published_by:
        lines.append("Juga dimuat: " + ", ".join(o["url"] for o in item.also_published_by))
    return "\n".join(lines)


def _html_block(item: AlertItem) -> str:
    e = html.escape
    parts = []
    if item.kind == "updated":
        parts.append("<p><em>updated / diperbarui</em></p>")
    parts.append(
        f'<h3 style="margin:0 0 4px 0"><a href="{e(item.url, quote=True)}">{e(_one_line(item.title))}</a></h3>'
    )
    meta = _meta(item)
    if meta:
        parts.append(f'<div style="color:#555;font-size:90%">{e(meta)}</div>')
    snippet = _one_line(item.article.get("snippet"))
    if snippet:
        parts.append(f"<p>{e(snippet)}</p>")
    parts.append(f'<div style="font-size:85%">{e(item.url)}</div>')
    if item.also_published_by:
        links = ", ".join(
            f'<a href="{e(o["url"], quote=True)}">{e(o.get("source") or o["url"])}</a>'
            for o in item.also_published_by
        )
        parts.append(f'<div style="font-size:85%">Juga dimuat: {links}</div>')
    return "\n".join(parts)


def build_message(
    *,
    smtp: Smtp,
    to: list[str],
    subject: str,
    intro: str,
    items: list[AlertItem],
    message_id: str | None = None,
) -> EmailMessage:
    """One multipart/alternative message listing `items` (one for instant, many for digest)."""
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = smtp.from_
    msg["To"] = ", ".join(to)
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    if message_id:
        # A stable Message-ID per alert lets mail systems drop a repeat after a crash.
        domain = smtp.from_.rsplit("@", 1)[-1] if "@" in smtp.from_ else "pantau.local"
        msg["Message-ID"] = f"<{message_id}@{domain}>"
    text = intro + "\n\n" + "\n\n".join(_text_block(it) for it in items) + "\n\n-- \nPantau\n"
    msg.set_content(text)
    body = "\n<hr>\n".join(_html_block(it) for it in items)
    msg.add_alternative(
        "<!doctype html><html><body>"
        f"<p>{html.escape(intro)}</p>\n{body}\n"
        '<p style="color:#888;font-size:80%">Pantau</p></body></html>',
        subtype="html",
    )
    return msg


def tls_context(smtp: Smtp) -> ssl.SSLContext:
    """Certificate and host name are always verified; `ca_file` only adds a private CA to trust
    instead of the system store (a missing file raises OSError, reported as a failed send)."""
    return ssl.create_default_context(cafile=smtp.ca_file)


def send(smtp: Smtp, msg: EmailMessage, to: list[str]) -> dict:
    """Deliver one message; returns refused recipients (empty when all accepted).

    smtplib raises SMTPResponseException subclasses carrying the server's code, which the
    sender classifies: 4xx is retried, 5xx goes to dead-letter. The message's fate is settled
    by the reply to the end of DATA: the reply to QUIT afterwards is not (smtplib's `with`
    block would raise on anything but 221 and turn a delivered mail into a resend).
    """
    if smtp.username and not (smtp.starttls or smtp.ssl or smtp.allow_plaintext_auth):
        # Config refuses this too; an Smtp built in code must not leak the password either.
        raise smtplib.SMTPNotSupportedError(
            "refusing AUTH in clear text: set smtp.starttls or smtp.ssl (or allow_plaintext_auth)"
        )
    if smtp.ssl:
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            smtp.host, smtp.port, timeout=smtp.timeout, context=tls_context(smtp)
        )
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    try:
        if smtp.starttls and not smtp.ssl:
            client.starttls(context=tls_context(smtp))
        if smtp.username:
            client.ehlo_or_helo_if_needed()
            if not client.has_extn("auth") and client.has_extn("starttls") and not smtp.ssl:
                # Say what to change instead of smtplib's bare "AUTH not supported".
                raise smtplib.SMTPNotSupportedError(
                    "server offers AUTH only after STARTTLS: set smtp.starttls: true"
                )
            client.login(smtp.username, smtp.password or "")
        return client.send_message(msg, from_addr=smtp.from_, to_addrs=to)
    finally:
        _say_goodbye(client)


def _say_goodbye(client: smtplib.SMTP) -> None:
    """QUIT politely; whatever the server answers (or if it has gone) changes nothing."""
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        client.close()
