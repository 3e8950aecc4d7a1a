"""Topic matching: every configured topic query, parsed once, run on clean title and text."""

from __future__ import annotations

from pantau.pipeline.config import Topic
from pantau.pipeline.models import TopicMatch
from pantau.pipeline.query import Query, parse_query


class TopicMatcher:
    """Holds the parsed queries of all topics; `match` returns the topics an article meets."""

    def __init__(self, topics: list[Topic]):
        self.queries: list[tuple[str, Query]] = [
            (t.name, parse_query(t.query, synonyms=t.synonyms)) for t in topics
        ]

    def match(self, title: str | None, text: str) -> list[TopicMatch]:
        out: list[TopicMatch] = []
        for name, query in self.queries:
            result = query.match(title or "", text)
            if result is not None:
                out.append(TopicMatch(name, result.matched_terms, result.snippet))
        return out
