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
            "text": self.text,
        }


@dataclass
class TopicMatch:
    """One topic query that matched an article."""

    topic: str
    matched_terms: list[str]
    snippet: str
