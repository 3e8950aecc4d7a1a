"""Reliability, part 4: bad input.

Config errors of every class stop `pantau run` and `pantau crawl` with exit 2 and a message that
names the file, the entry and the field, before anything is fetched. Hostile pages (script
tags, Slack and HTML markup in titles, control characters, a 5 MB paragraph, 5,000 nested divs)
neither crash a run nor reach an alert unescaped.
"""

from __future__ import annotations

import html
import re
import sqlite3
import textwrap
from pathlib import Path

import pytest

from tests.conftest import SEEDS, run_pantau
from tests.faultweb import FaultWeb, HookReceiver, scrapy_env, serve, write_config
from tests.receivers import SmtpReceiver

ENV = scrapy_env()
TOPICS = textwrap.dedent("""
    topics:
      - name: revolusi-mental-asn
        query: '"revolusi mental" AND (ASN OR PNS OR birokrasi)'
        search_terms: ["revolusi mental"]
""")
GOOD_SOURCE = {"name": "contoh", "url": "http://127.0.0.1:9/", "region": "Bali"}
SUBS = textwrap.dedent("""
    subscriptions:
      - name: integrasi
        topics: [revolusi-mental-asn]
        channel: webhook
        url: https://example.org/hooks/pantau
        secret: whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ==
""")

# (case, file to break, its text, words the message must contain)
CONFIG_ERRORS: list[tuple[str, str, str, list[str]]] = [
    ("bad YAML", "sources.yaml", "sources:\n  - name: contoh\n    url: [unclosed\n",
     ["sources.yaml", "line"]),
    ("unknown key", "sources.yaml",
     "sources:\n  - name: contoh\n    url: http://127.0.0.1:9/\n    colour: red\n",
     ["sources.yaml", "contoh", "colour"]),
    ("missing field", "sources.yaml", "sources:\n  - name: contoh\n    region: Bali\n",
     ["sources.yaml", "contoh", "url"]),
    ("bad regex", "sources.yaml",
     "sources:\n  - name: contoh\n    url: http://127.0.0.1:9/\n    article_url_pattern: '/(['\n",
     ["sources.yaml", "contoh", "article_url_pattern"]),
    ("bad query", "topics.yaml",
     "topics:\n  - name: rusak\n    query: '\"revolusi mental\" AND ('\n",
     ["topics.yaml", "rusak", "query"]),
    ("unset variable", "subscriptions.yaml",
     SUBS.replace("https://example.org/hooks/pantau", "${PANTAU_SURELY_UNSET_VAR}"),
     ["subscriptions.yaml", "integrasi", "url", "PANTAU_SURELY_UNSET_VAR"]),
    ("duplicate names", "sources.yaml",
     "sources:\n  - name: contoh\n    url: http://127.0.0.1:9/\n"
     "  - name: contoh\n    url: http://127.0.0.1:10/\n",
     ["sources.yaml", "contoh", "name", "duplicate"]),
    ("non-http source", "sources.yaml", "sources:\n  - name: contoh\n    url: ftp://127.0.0.1/\n",
     ["sources.yaml", "contoh", "url"]),
    ("non-http feed", "sources.yaml",
     "sources:\n  - name: contoh\n    url: http://127.0.0.1:9/\n    feeds: ['file:///etc/passwd']\n",
     ["sources.yaml", "contoh", "feeds"]),
    ("non-http webhook", "subscriptions.yaml",
     SUBS.replace("https://example.org/hooks/pantau", "file:///etc/passwd"),
     ["subscriptions.yaml", "integrasi", "url"]),
]  # fmt: skip


@pytest.mark.parametrize("command", ["run", "crawl"])
@pytest.mark.parametrize("case", CONFIG_ERRORS, ids=[c[0] for c in CONFIG_ERRORS])
def test_config_errors_exit_2_naming_file_entry_field(tmp_path, case, command):
    name, broken, text, words = case
    cfg = write_config(tmp_path / "config", [GOOD_SOURCE], SUBS, TOPICS)
    (cfg / broken).write_text(text)
    db = tmp_path / "pantau.db"
    proc = run_pantau("--config-dir", str(cfg), "--db", str(db), command, env=ENV, timeout=60)
    assert proc.returncode == 2, (name, proc.returncode, proc.stderr[-2000:])
    for word in words:
        assert word in proc.stderr, (name, word, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert not db.exists() or not _count(db, "crawl_runs"), name  # nothing was crawled


def _count(db: Path, table: str) -> int:
    con = sqlite3.connect(db)
    try:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        con.close()


# --------------------------------------------------------------------------- hostile pages

HOSTILE_TITLE = (
    "Revolusi mental ASN <script>alert('x')</script> <!channel> "
    "<https://evil.example/phish|Klik di sini> *tebal* & <b>tag</b>"
)
CONTROL = "\x00\x01\x07\x08\x0b\x0c\x1b\x7f"
C0_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _seed_paragraphs(n: int) -> list[str]:
    text = sorted(SEEDS.glob("*.txt"))[n].read_text(encoding="utf-8")
    return [p.strip() for p in text.split("\n") if len(p.strip()) > 80]


def _article(title: str, paragraphs: list[str], published: str, extra_body: str = "") -> str:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (
        '<!DOCTYPE html><html lang="id"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        f'<meta property="og:title" content="{html.escape(title)}">'
        f'<meta property="article:published_time" content="{published}">'
        "<script>var pantauInjected = '<p>revolusi mental ASN dari skrip</p>';</script>"
        "</head><body><header><nav><a href='/'>Beranda</a></nav></header>"
        f"<main><article><h1>{html.escape(title)}</h1>"
        '<div class="byline">Penulis: Redaksi</div>'
        f"{body}{extra_body}</article></main>"
        "<script>document.write('<p>pantauInjected</p>')</script>"
        "<footer>&copy; Hostile Post</footer></body></html>"
    )


def hostile_pages() -> dict[str, str]:
    p0, p1, p2, p4 = (_seed_paragraphs(i) for i in (0, 1, 2, 4))
    with_controls = [p[:60] + CONTROL + p[60:] for p in p1]
    huge = " ".join(["revolusi mental ASN birokrasi melayani"] * 135_000)  # ~5.3 MB
    deep = "<div>" * 5000 + "".join(f"<p>{html.escape(p)}</p>" for p in p4) + "</div>" * 5000
    return {
        "/2024/09/20/judul-berisi-skrip-dan-markup-slack/": _article(
            HOSTILE_TITLE, p0, "2024-09-20T10:00:00+07:00",
            "<script>alert(document.cookie)</script><style>p{color:red}</style>"
            "<iframe src='javascript:alert(1)'></iframe>",
        ),
        "/2024/09/21/teks-berisi-karakter-kendali-aneh/": _article(
            "Revolusi mental ASN\x1b[31m merah\x07 " + CONTROL, with_controls,
            "2024-09-21T10:00:00+07:00",
        ),
        "/2024/09/22/satu-paragraf-lima-megabita-panjangnya/": _article(
            "Revolusi mental ASN: satu paragraf raksasa", p2[:1], "2024-09-22T10:00:00+07:00",
            f"<p>{huge}</p>",
        ),
        "/2024/09/23/lima-ribu-div-bersarang-dalam-halaman/": (
            '<!DOCTYPE html><html><head><meta charset="utf-8">'
            "<title>Revolusi mental ASN di lima ribu div</title></head><body>"
            f"<h1>Revolusi mental ASN di lima ribu div</h1>{deep}</body></html>"
        ),
    }  # fmt: skip


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    web = FaultWeb().start()
    pages = hostile_pages()
    links = "".join(f'<li><a href="{web.url(p)}">{i}</a></li>' for i, p in enumerate(pages))
    web.add("/", serve(f"<html><body><ul>{links}</ul></body></html>"))
    for path, body in pages.items():
        web.add(path, serve(body))
    hook = HookReceiver().start()
    smtp = SmtpReceiver()
    subs = textwrap.dedent(f"""
        smtp:
          host: 127.0.0.1
          port: {smtp.port}
          from: pantau@example.go.id
        subscriptions:
          - name: hook
            topics: [revolusi-mental-asn]
            channel: webhook
            url: {hook.url}/hook
            secret: whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ==
            allow_private_network: true
          - name: chat
            topics: [revolusi-mental-asn]
            channel: slack
            url: {hook.url}/slack
            allow_private_network: true
          - name: mail
            topics: [revolusi-mental-asn]
            channel: email
            to: [analis@example.go.id]
    """)
    source = {"name": "hostile", "url": web.url("/"), "region": "Bali", "template": "generic"}
    cfg = write_config(tmp / "config", [source], subs, TOPICS)
    db = tmp / "pantau.db"
    proc = run_pantau("--config-dir", str(cfg), "--db", str(db), "run", env=ENV)
    yield {"proc": proc, "db": db, "hook": hook, "smtp": smtp, "web": web, "pages": pages}
    hook.stop()
    smtp.stop()
    web.stop()


@pytest.mark.slow
def test_hostile_pages_do_not_crash_the_run(hostile):
    proc = hostile["proc"]
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    own = re.findall(r'File "[^"]*/(?:pipeline|spiders|pantau)/[^"]+", line \d+', proc.stderr)
    assert not own, proc.stderr[-3000:]
    con = sqlite3.connect(hostile["db"])
    status, errors = con.execute("SELECT status, errors FROM crawl_runs").fetchone()
    assert status == "ok" and errors == 0, (status, errors)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    urls = {u for (u,) in con.execute("SELECT url FROM articles")}
    # the script/markup page and the 5 MB page are ordinary articles
    for path in ("/2024/09/20/judul-berisi-skrip-dan-markup-slack/",
                 "/2024/09/22/satu-paragraf-lima-megabita-panjangnya/"):  # fmt: skip
        assert hostile["web"].url(path) in urls, (path, urls)


@pytest.mark.slow
def test_page_with_control_characters_is_still_archived(hostile):
    con = sqlite3.connect(hostile["db"])
    urls = {u for (u,) in con.execute("SELECT url FROM articles")}
    assert hostile["web"].url("/2024/09/21/teks-berisi-karakter-kendali-aneh/") in urls


@pytest.mark.slow
def test_stored_text_has_no_script_or_control_characters(hostile):
    con = sqlite3.connect(hostile["db"])
    for url, title, text in con.execute("SELECT url, title, text FROM articles"):
        assert "pantauInjected" not in text and "alert(document.cookie)" not in text, url
        assert "color:red" not in text, url
        assert not C0_RE.search(title or ""), (url, repr(title))
        assert not C0_RE.search(text or ""), (url, C0_RE.search(text).start())


def _mrkdwn_fields(obj) -> list[str]:
    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == "text" and isinstance(v, str):
                out.append(v)
            else:
                out += _mrkdwn_fields(v)
    elif isinstance(obj, list):
        for v in obj:
            out += _mrkdwn_fields(v)
    return out


@pytest.mark.slow
def test_slack_messages_carry_no_live_markup(hostile):
    msgs = [d.json for d in hostile["hook"].accepted("/slack")]
    assert msgs, "no Slack message arrived"
    assert any("script" in t for m in msgs for t in _mrkdwn_fields(m))  # the title did arrive
    for m in msgs:
        for text in _mrkdwn_fields(m):
            assert "<!channel>" not in text and "<script" not in text, text
            assert "<https://evil.example" not in text, text
            for link in re.findall(r"<([^>]*)>", text):  # only Pantau's own links remain
                assert link.startswith("http://127.0.0.1:"), (link, text)
            assert not C0_RE.search(text), repr(text)
            assert len(text) <= 3000, len(text)


@pytest.mark.slow
def test_webhook_payloads_are_data_and_bounded(hostile):
    got = hostile["hook"].accepted("/hook")
    assert got
    titles = {d.json["data"]["article"]["title"] for d in got}
    assert any("<script>" in t for t in titles)  # JSON carries the title as data, verbatim
    for d in got:
        assert len(d.body) < 64_000, len(d.body)  # the 5 MB page does not ride along
        art = d.json["data"]["article"]
        assert not C0_RE.search(art["title"] or "") and not C0_RE.search(art["snippet"] or "")


@pytest.mark.slow
def test_email_html_is_escaped(hostile):
    mails = hostile["smtp"].messages
    assert mails
    seen_title = False
    for m in mails:
        assert not C0_RE.search(str(m.message["Subject"]))
        html_part = m.message.get_body(("html",)).get_content()
        text_part = m.message.get_body(("plain",)).get_content()
        assert "<script" not in html_part.lower() and "<iframe" not in html_part.lower()
        assert "<b>tag</b>" not in html_part
        seen_title |= "&lt;script&gt;" in html_part
        assert not C0_RE.search(html_part) and not C0_RE.search(text_part)
        assert len(html_part) < 200_000
    assert seen_title, "the hostile title never reached an email"
