"""A photo story about the topic is a story about the topic (issue 13, point 4).

A real `pantau run` crawls the Tribun fixture site (tests/fixtures/sites/tribun-jateng, built
from the real Tribun template by _build.py) on loopback. Its photo story
(`/foto/2024/03/06/galeri-...`: a lede and three figure captions about ASN and revolusi mental)
must be fetched, stored whole with `story_type` photo, dated from the page, matched to the topic
and alerted by a signed webhook; its video story is stored with `story_type` video and, being
off topic, not alerted.
"""

from __future__ import annotations

import base64
import html
import re
import sqlite3
import textwrap
from pathlib import Path

import pytest

from pantau.pipeline.canonical import canonicalize_url
from pantau.sink import AlertSink
from tests.conftest import run_pantau
from tests.test_spider_sitetypes import SITES_DIR, SiteTypesWeb

pytestmark = pytest.mark.slow

SITE = "tribun-jateng"
FOTO = "/foto/2024/03/06/galeri-apel-kesadaran-nasional-pemprov-jateng"
VIDEO = "/video/2024/03/06/video-gubernur-lantik-pejabat-eselon-dua"
SECRET = "whsec_" + base64.b64encode(b"pantau-photo-story-test-secret!!").decode()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("photo")
    web = SiteTypesWeb(root=SITES_DIR)
    web.start()
    sink = AlertSink(secret=SECRET).start()
    try:
        cfg = tmp / "config"
        cfg.mkdir()
        (cfg / "sources.yaml").write_text(
            textwrap.dedent(f"""
            user_agent_contact: https://example.org/pantau-test
            sources:
              - name: {SITE}
                url: {web.urls[SITE]}
                template: tribun
                region: Jawa Tengah
                window_days: 3650
            """)
        )
        (cfg / "topics.yaml").write_text(Path("config/topics.yaml").read_text())
        (cfg / "subscriptions.yaml").write_text(
            textwrap.dedent(f"""
            subscriptions:
              - name: integrasi
                topics: [revolusi-mental-asn]
                channel: webhook
                url: {sink.url}/hooks/pantau
                secret: {SECRET}
                allow_private_network: true
            """)
        )
        db = tmp / "pantau.db"
        proc = run_pantau("--config-dir", str(cfg), "--db", str(db), "run", timeout=180)
        yield {"web": web, "sink": sink, "db": db, "proc": proc,
               "fetched": [p for p, _ in web.requests_for(SITE)]}  # fmt: skip
    finally:
        sink.stop()
        web.stop()


def _row(world, path: str) -> sqlite3.Row | None:
    con = sqlite3.connect(world["db"])
    con.row_factory = sqlite3.Row
    try:
        url = canonicalize_url(world["web"].base(SITE) + path)
        return con.execute("SELECT * FROM articles WHERE url = ?", (url,)).fetchone()
    finally:
        con.close()


def _captions() -> list[str]:
    page = (SITES_DIR / SITE / FOTO.lstrip("/")).read_text(encoding="utf-8")
    return [html.unescape(c) for c in re.findall(r"<figcaption>([^<]+)</figcaption>", page)]


def test_run_succeeds_and_fetches_the_photo_story(world) -> None:
    proc = world["proc"]
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-4000:]
    assert FOTO in {p.split("?")[0] for p in world["fetched"]}  # Tribun: via ?page=all


def test_photo_story_is_stored_whole_dated_and_typed(world) -> None:
    row = _row(world, FOTO)
    assert row is not None, "the photo story was not archived"
    assert row["story_type"] == "photo"
    assert row["published_at"].startswith("2024-03-06")
    assert row["title"].startswith("Galeri: Apel Kesadaran Nasional")
    text = " ".join(row["text"].split())
    assert text.startswith("SEMARANG - Ratusan aparatur sipil negara (ASN)")
    captions = _captions()
    assert len(captions) == 3
    for cap in captions:  # the captions are the story's text, each once
        assert text.count(" ".join(cap.split())) == 1, cap


def test_photo_story_matches_the_topic_and_is_alerted(world) -> None:
    row = _row(world, FOTO)
    con = sqlite3.connect(world["db"])
    try:
        topics = {
            t
            for (t,) in con.execute("SELECT topic FROM matches WHERE article_id = ?", (row["id"],))
        }
    finally:
        con.close()
    assert "revolusi-mental-asn" in topics
    assert not world["sink"].rejected
    stories = [r["json"]["data"]["story_id"] for r in world["sink"].received]
    assert stories.count(row["story_id"]) == 1


def test_video_story_is_stored_as_video_and_not_alerted(world) -> None:
    row = _row(world, VIDEO)
    assert row is not None and row["story_type"] == "video"
    assert row["text"].startswith("SEMARANG - Gubernur Jawa Tengah melantik")
    stories = [r["json"]["data"]["story_id"] for r in world["sink"].received]
    assert row["story_id"] not in stories
