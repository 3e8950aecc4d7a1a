"""The archive: one row per article, copies tied into stories, revisions kept, alerts unique."""

from __future__ import annotations

import json
import sqlite3

import pytest

from pantau.pipeline.archive.store import Archive
from pantau.pipeline.config import PantauConfig, Subscription, Topic
from pantau.pipeline.models import ExtractedArticle, TopicMatch

SEED_003 = "003_86b1aa17d938dc51.txt"
SEED_000 = "000_142c9fa3561fec24.txt"


def body_of(seed_text: str) -> str:
    """The seed's article paragraphs (title line and the furniture lines dropped)."""
    lines = [ln.strip() for ln in seed_text.splitlines()[1:]]
    return "\n".join(ln for ln in lines if len(ln.split()) > 8 and not ln.startswith("Baca"))


def make_config(on_update: str = "silent", regions: list[str] | None = None) -> PantauConfig:
    sub = Subscription(
        name="integrasi",
        topics=["revolusi-mental-asn"],
        channel="webhook",
        url="https://example.org/hook",
        secret="whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ==",
        on_update=on_update,
        regions=regions or [],
    )
    topic = Topic(name="revolusi-mental-asn", query='"revolusi mental" AND ASN')
    return PantauConfig(directory=".", sources=[], topics=[topic], smtp=None, subscriptions=[sub])


MATCH = [TopicMatch("revolusi-mental-asn", ["revolusi mental", "ASN"], "…revolusi mental…")]


@pytest.fixture
def archive(tmp_path):
    a = Archive(tmp_path / "data" / "pantau.db")
    yield a
    a.close()


def art(url: str, text: str, title: str = "Workshop Revolusi Mental", region: str | None = None):
    return ExtractedArticle(
        url=url, title=title, text=text, region=region, word_count=len(text.split())
    )


def test_schema_is_wal_with_foreign_keys(archive, tmp_path):
    assert archive.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert archive.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    for table in [
        "sources",
        "articles",
        "articles_fts",
        "url_aliases",
        "stories",
        "matches",
        "alerts",
        "article_revisions",
        "pages",
        "crawl_runs",
    ]:
        assert archive.db.table(table).exists(), table


def test_recrawl_same_url_is_one_article(archive, seed_texts):
    text = body_of(seed_texts[SEED_003])
    cfg = make_config()
    r1 = archive.store_article(
        art("https://kalteng.antaranews.com/berita/1/a", text),
        source="kalteng-antara",
        fetched_url="https://kalteng.antaranews.com/berita/1/a",
        matches=MATCH,
        config=cfg,
        now="2026-11-22T01:00:00Z",
    )
    r2 = archive.store_article(
        art("https://kalteng.antaranews.com/berita/1/a", text),
        source="kalteng-antara",
        fetched_url="https://kalteng.antaranews.com/berita/1/a?utm_source=fb",
        matches=MATCH,
        config=cfg,
        now="2026-11-22T02:00:00Z",
    )
    assert (r1.status, r2.status) == ("new", "unchanged")
    assert r1.article_id == r2.article_id
    row = archive.db.execute("SELECT first_seen_at, last_seen_at FROM articles").fetchall()
    assert row == [("2026-11-22T01:00:00Z", "2026-11-22T02:00:00Z")]
    assert archive.db.execute("SELECT count(*) FROM alerts").fetchone()[0] == 1


def test_changed_text_is_an_update_with_revision(archive, seed_texts):
    text = body_of(seed_texts[SEED_003])
    cfg = make_config(on_update="notify")
    url = "https://kalteng.antaranews.com/berita/1/a"
    archive.store_article(art(url, text), source="s", fetched_url=url, matches=MATCH, config=cfg)
    fixed = (
        text.replace("revolusi mnetal", "revolusi mental") + "\nKoreksi: nama pejabat diperbaiki."
    )
    r = archive.store_article(
        art(url, fixed), source="s", fetched_url=url, matches=MATCH, config=cfg
    )
    assert r.status == "updated"
    assert archive.db.execute("SELECT count(*) FROM articles").fetchone()[0] == 1
    revs = archive.db.execute("SELECT revision, text FROM article_revisions").fetchall()
    assert len(revs) == 1 and revs[0][0] == 1 and revs[0][1] == text
    kinds = [k for (k,) in archive.db.execute("SELECT kind FROM alerts ORDER BY id")]
    assert kinds == ["new", "updated"]
    # the same version seen again owes nothing more
    archive.store_article(art(url, fixed), source="s", fetched_url=url, matches=MATCH, config=cfg)
    assert archive.db.execute("SELECT count(*) FROM alerts").fetchone()[0] == 2


def test_same_text_other_url_becomes_alias(archive, seed_texts):
    text = body_of(seed_texts[SEED_000])
    cfg = make_config()
    archive.store_article(
        art("https://beritarafflesia.com/2021/06/revolusi/", text),
        source="br",
        fetched_url="https://beritarafflesia.com/2021/06/revolusi/",
        matches=MATCH,
        config=cfg,
    )
    r = archive.store_article(
        art("https://beritarafflesia.com/?p=123", text),
        source="br",
        fetched_url="https://beritarafflesia.com/?p=123",
        matches=MATCH,
        config=cfg,
    )
    assert r.status == "alias"
    assert archive.db.execute("SELECT count(*) FROM articles").fetchone()[0] == 1
    aliases = {u for (u,) in archive.db.execute("SELECT url FROM url_aliases")}
    assert "https://beritarafflesia.com/?p=123" in aliases


def test_syndicated_light_edit_joins_story_and_owes_no_second_alert(archive, seed_texts):
    text = body_of(seed_texts[SEED_003])
    cfg = make_config()
    archive.store_article(
        art("https://kalteng.antaranews.com/berita/1/a", text),
        source="kalteng-antara",
        fetched_url="https://kalteng.antaranews.com/berita/1/a",
        matches=MATCH,
        config=cfg,
    )
    # a regional outlet republishes it: own dateline, one paragraph cut, a sentence added
    paras = text.split("\n")
    copy = "\n".join(
        ["SUKAMARA, SUMSELNEWS - " + paras[0]] + paras[1:-1] + ["Berita ini bersumber dari Antara."]
    )
    r = archive.store_article(
        art("https://sumselnews.example/2016/12/revolusi-mental", copy),
        source="sumselnews",
        fetched_url="https://sumselnews.example/2016/12/revolusi-mental",
        matches=MATCH,
        config=cfg,
    )
    assert r.status == "copy"
    stories = archive.db.execute("SELECT id, article_count FROM stories").fetchall()
    assert len(stories) == 1 and stories[0][1] == 2
    assert archive.db.execute("SELECT count(*) FROM articles").fetchone()[0] == 2
    assert archive.db.execute("SELECT count(*) FROM alerts").fetchone()[0] == 1


def test_different_story_is_not_merged(archive, seed_texts):
    cfg = make_config()
    a = archive.store_article(
        art("https://a.example/1", body_of(seed_texts[SEED_003])),
        source="a",
        fetched_url="https://a.example/1",
        matches=MATCH,
        config=cfg,
    )
    b = archive.store_article(
        art("https://b.example/2", body_of(seed_texts[SEED_000])),
        source="b",
        fetched_url="https://b.example/2",
        matches=MATCH,
        config=cfg,
    )
    assert a.story_id != b.story_id
    assert archive.db.execute("SELECT count(*) FROM alerts").fetchone()[0] == 2


def test_alert_uniqueness_is_enforced_by_the_database(archive, seed_texts):
    cfg = make_config()
    r = archive.store_article(
        art("https://a.example/1", body_of(seed_texts[SEED_003])),
        source="a",
        fetched_url="https://a.example/1",
        matches=MATCH,
        config=cfg,
    )
    with pytest.raises(sqlite3.IntegrityError):
        archive.db.execute(
            "INSERT INTO alerts(subscription, channel, story_id, article_id, kind, status, webhook_id) "
            "VALUES ('integrasi', 'webhook', ?, ?, 'new', 'pending', 'msg_other')",
            (r.story_id, r.article_id),
        )


def test_region_filter(archive, seed_texts):
    cfg = make_config(regions=["Bengkulu"])
    archive.store_article(
        art("https://a.example/1", body_of(seed_texts[SEED_003]), region="Kalimantan Tengah"),
        source="a",
        fetched_url="https://a.example/1",
        matches=MATCH,
        config=cfg,
    )
    assert archive.db.execute("SELECT count(*) FROM alerts").fetchone()[0] == 0
    archive.store_article(
        art("https://b.example/2", body_of(seed_texts[SEED_000]), region="Bengkulu"),
        source="b",
        fetched_url="https://b.example/2",
        matches=MATCH,
        config=cfg,
    )
    assert archive.db.execute("SELECT count(*) FROM alerts").fetchone()[0] == 1


def test_matches_and_fts(archive, seed_texts):
    cfg = make_config()
    archive.store_article(
        art("https://a.example/1", body_of(seed_texts[SEED_003])),
        source="a",
        fetched_url="https://a.example/1",
        matches=MATCH,
        config=cfg,
    )
    row = archive.db.execute("SELECT topic, matched_terms FROM matches").fetchone()
    assert row[0] == "revolusi-mental-asn" and json.loads(row[1]) == ["revolusi mental", "ASN"]
    hits = archive.db.execute(
        "SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'sukamara'"
    ).fetchall()
    assert len(hits) == 1


def test_pages_keep_compressed_raw_html(archive):
    from pantau.pipeline.archive.store import decompress

    html = b"<html><body><p>Revolusi mental ASN</p></body></html>" * 50
    archive.store_page(
        "https://a.example/1",
        source="a",
        kind="article",
        status=200,
        body=html,
        fetched_at="2026-11-22T01:00:00Z",
        etag='"x"',
    )
    blob, etag = archive.db.execute("SELECT html, etag FROM pages").fetchone()
    assert len(blob) < len(html) and decompress(blob) == html and etag == '"x"'


def test_304_keeps_the_stored_body_and_hash(archive):
    feed = b"<rss><channel><item><link>https://a.example/1</link></item></channel></rss>"
    archive.store_page(
        "https://a.example/feed",
        source="a",
        kind="feed",
        status=200,
        body=feed,
        fetched_at="2026-11-22T01:00:00Z",
        etag='"v1"',
    )
    before = archive.db.execute("SELECT body_hash, html FROM pages").fetchone()
    archive.store_page(
        "https://a.example/feed",
        source="a",
        kind="feed",
        status=304,
        body=b"",
        fetched_at="2026-11-22T02:00:00Z",
        etag=None,
    )
    after = archive.db.execute("SELECT body_hash, html, etag, fetched_at FROM pages").fetchone()
    assert after[:2] == before and after[2] == '"v1"' and after[3] == "2026-11-22T02:00:00Z"


def test_run_status_failed_when_every_article_page_failed():
    from pantau.pipeline.scrapy_pipeline import summarise_stats

    base = {
        "downloader/request_count": 12,
        "response_received_count": 12,
        "downloader/response_status_count/200": 2,
        "downloader/response_status_count/500": 10,
        "pantau/requests/article": 10,
        "pantau/errors/article": 10,
    }
    _, status, _ = summarise_stats(base)
    assert status == "failed"
    healthy = {**base, "pantau/pages/article": 3, "pantau/errors/article": 7}
    assert summarise_stats(healthy)[1] == "partial"
    nothing = {
        "downloader/request_count": 3,
        "downloader/exception_count": 3,
        "pantau/errors/network": 3,
    }
    assert summarise_stats(nothing)[1] == "failed"
    assert (
        summarise_stats({"downloader/request_count": 3, "downloader/response_status_count/200": 3})[
            1
        ]
        == "ok"
    )


@pytest.mark.parametrize(
    "text",
    [
        "Café naïve Ḱ ǅ ﬁ Jakarta – “kutip”  dua\u00a0spasi",
        "plain ascii  text\n\nparagraph",
        "",
        "ẞ ß İstanbul Việt Nam a\u0301\u0327",
    ],
)
def test_normalised_text_drops_exactly_the_combining_marks(text):
    """The fast path (only non-ASCII characters checked) equals the per-character definition."""
    import unicodedata

    from pantau.pipeline.dedup import normalise_text

    decomposed = unicodedata.normalize("NFKD", text.casefold())
    want = " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())
    assert normalise_text(text) == want


def test_minhash_is_datasketchs_bit_for_bit():
    """Pantau computes MinHash itself (no scipy import in the crawl) exactly as datasketch
    2.x does with seed 1, so signatures stored by either agree."""
    import random

    import numpy as np
    from datasketch import MinHash

    from pantau.pipeline import dedup

    template = MinHash(num_perm=dedup.NUM_PERM, seed=1)
    rng = random.Random(3)
    words = "pemerintah daerah revolusi mental aparatur sipil negara bupati rapat warga".split()
    for _ in range(30):
        text = " ".join(rng.choice(words) + str(rng.randint(0, 50)) for _ in range(200))
        shingles = list(dedup.shingles(text))
        m = MinHash(permutations=template.permutations, scheme=template.scheme)
        m.update_batch(shingles)
        assert np.array_equal(m.hashvalues.astype(np.uint64), dedup.signature(text).values)
