"""Plain data shapes passed between Pantau's stages.

Kept free of Scrapy and SQLite so extraction, dates and matching stay pure functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Removal:
    """One piece of text the cleaner removed, and the rule that removed it (for --explain)."""

    rule: str
    text: str


@dataclass
class ExtractedArticle:
    """Clean text and metadata of one article page, as the archive stores it."""

    url: str  # canonical URL (rel=canonical / og:url, normalised), else the fetched URL
    title: str | None
    text: str
    author: str | None = None
    site_name: str | None = None
    published_at: str | None = None  # ISO 8601, with the page's own UTC offset where it gives one
    published_at_source: str | None = None  # metadata | jsonld | text | url | inferred
    updated_at: str | None = None  # "Diperbarui"/"Update" time, kept apart from published_at
    language: str | None = None
    region: str | None = None
    word_count: int = 0
    editor: str | None = None
    tags: list[str] = field(default_factory=list)
    alternate_urls: list[str] = field(default_factory=list)  # fetched URL, amp/mobile variants
    removed: list[Removal] = field(default_factory=list)
    story_type: str = "article"  # article | photo | video: a photo story is lede plus captions

    def as_dict(self) -> dict:
        """The JSON shape of `pantau extract --format json`."""
        return {
            "url": self.url,
            "title": self.title,
            "author": self.author,
            "editor": self.editor,
            "site_name": self.site_name,
            "published_at": self.published_at,
            "published_at_source": self.published_at_source,
            "updated_at": self.updated_at,
            "language": self.language,
            "region": self.region,
            "word_count": self.word_count,
            "tags": self.tags,
            "story_type": self.story_type,
            "text": self.text,
        }


@dataclass
class Rejection:
    """Why a fetched article candidate gave no article. Never silent: the archive keeps it
    (`pages.kind`, `pages.reason`, `pages.signals`), the run counts it, `--explain` prints it.

    kind: the page's kind as the classifier saw it ("listing", "home", "search", "tag",
    "gallery", "other") or, when the page looked like an article but gave no usable body,
    "not-article". reason: one sentence in plain words. signals: the measurements that
    decided it (link density, paragraph run, word count, URL rule, template rule ...).
    """

    kind: str
    reason: str
    signals: dict[str, object] = field(default_factory=dict)
    stage: str = "classifier"  # classifier (before extraction) | extraction (no usable body)

    def describe(self) -> str:
        """One line for logs and the run summary: kind, reason and the signals."""
        sig = ", ".join(f"{k}={v}" for k, v in self.signals.items())
        return f"{self.kind}: {self.reason}" + (f" [{sig}]" if sig else "")


@dataclass
class TopicMatch:
    """One topic query that matched an article."""

    topic: str
    matched_terms: list[str]
    snippet: str
